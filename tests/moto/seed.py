#!/usr/bin/env python3
"""Seed a moto_server through the AWS API itself (boto3), for drready's collector tests.

    seed.py ENDPOINT planted     good and bad resources in us-east-1 and us-west-2 (tests/live.rs)
    seed.py ENDPOINT bench N     N of each resource kind (scripts/bench-live.sh)
    seed.py ENDPOINT restricted  a user allowed only a few read calls; prints its keys as JSON
    seed.py ENDPOINT other-account   a database in a second account, reached through AssumeRole
    seed.py ENDPOINT stale       a database without any snapshot (tests/remediate.rs)
    seed.py ENDPOINT stale-readonly  the same, and a user who may only read; prints its keys
    seed.py ENDPOINT platform    EKS clusters and their DR clusters, OpenSearch domains, Route 53
                                 failover records and health checks, Velero backups (tests/platform.rs)
    seed.py ENDPOINT org N       an AWS Organization: N member accounts under the OU `prod`, one
                                 under `sandbox`, one closed; in each member, through the role
                                 `drready-audit`, a database and a backup bucket in both regions
                                 (tests/org.rs, benches/org.sh); prints the ids as JSON
    seed.py ENDPOINT upload BUCKET PREFIX DIR   put a folder's files into a new bucket (a snapshot
                                 repository written by the real OpenSearch node)

Every resource is created with the same calls a real account would see; nothing is written into
moto's internals.
"""

import datetime
import json
import sys
from concurrent.futures import ThreadPoolExecutor

import boto3

EAST, WEST = "us-east-1", "us-west-2"
ACCOUNT = "123456789012"


def client(endpoint, service, region=EAST, **creds):
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id=creds.get("key", "testing"),
        aws_secret_access_key=creds.get("secret", "testing"),
    )


def db(rds, name, **kw):
    args = dict(
        DBInstanceIdentifier=name,
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="drready",
        MasterUserPassword="not-a-secret-1",
        AllocatedStorage=20,
    )
    args.update(kw)
    rds.create_db_instance(**args)
    return rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]["DBInstanceArn"]


def planted(endpoint):
    rds_e, rds_w = client(endpoint, "rds", EAST), client(endpoint, "rds", WEST)
    # good-db: every RDS control's good side, with a replica in the DR region.
    good = db(
        rds_e,
        "good-db",
        BackupRetentionPeriod=14,
        MultiAZ=True,
        StorageEncrypted=True,
        DeletionProtection=True,
        Tags=[{"Key": "app", "Value": "orders"}, {"Key": "backup", "Value": "daily"}],
    )
    rds_w.create_db_instance_read_replica(
        DBInstanceIdentifier="good-db-replica",
        SourceDBInstanceIdentifier=good,
        DBInstanceClass="db.t3.micro",
    )
    rds_e.create_db_snapshot(DBSnapshotIdentifier="good-db-manual", DBInstanceIdentifier="good-db")
    snap = rds_e.describe_db_snapshots(DBSnapshotIdentifier="good-db-manual")["DBSnapshots"][0]
    rds_w.copy_db_snapshot(
        SourceDBSnapshotIdentifier=snap["DBSnapshotArn"],
        TargetDBSnapshotIdentifier="good-db-manual-copy",
        SourceRegion=EAST,
    )
    # bad-db: no backups, unencrypted, single-AZ, unprotected.
    db(
        rds_e,
        "bad-db",
        BackupRetentionPeriod=0,
        MultiAZ=False,
        StorageEncrypted=False,
        DeletionProtection=False,
        Tags=[{"Key": "app", "Value": "legacy"}],
    )
    # west-db: in the DR region itself, retention too short.
    db(rds_w, "west-db", BackupRetentionPeriod=3, MultiAZ=True, StorageEncrypted=True, DeletionProtection=True)

    cw_e, cw_w = client(endpoint, "cloudwatch", EAST), client(endpoint, "cloudwatch", WEST)
    cw_w.put_metric_data(
        Namespace="AWS/RDS",
        MetricData=[
            {
                "MetricName": "ReplicaLag",
                "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": "good-db-replica"}],
                # Minutes in the past: moto leaves out a datapoint of the current minute when the
                # query's window ends seconds after it (a flaky verdict otherwise).
                "Timestamp": datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5),
                "Value": v,
            }
            for v in (4.0, 42.0, 7.0)
        ],
    )
    sns = "arn:aws:sns:%s:%s:dr-oncall"
    cw_w.put_metric_alarm(
        AlarmName="good-db-replica-lag",
        Namespace="AWS/RDS",
        MetricName="ReplicaLag",
        Dimensions=[{"Name": "DBInstanceIdentifier", "Value": "good-db-replica"}],
        Statistic="Maximum",
        Period=60,
        EvaluationPeriods=5,
        Threshold=300,
        ComparisonOperator="GreaterThanThreshold",
        AlarmActions=[sns % (WEST, ACCOUNT)],
    )
    cw_e.put_metric_alarm(
        AlarmName="backup-jobs-failed",
        Namespace="AWS/Backup",
        MetricName="NumberOfBackupJobsFailed",
        Statistic="Sum",
        Period=3600,
        EvaluationPeriods=1,
        Threshold=0,
        ComparisonOperator="GreaterThanThreshold",
        AlarmActions=[sns % (EAST, ACCOUNT)],
    )

    s3_e, s3_w = client(endpoint, "s3", EAST), client(endpoint, "s3", WEST)
    s3_w.create_bucket(
        Bucket="orders-backup-dr",
        CreateBucketConfiguration={"LocationConstraint": WEST},
        ObjectLockEnabledForBucket=True,
    )
    s3_e.create_bucket(Bucket="orders-backup", ObjectLockEnabledForBucket=True)
    s3_e.put_bucket_tagging(
        Bucket="orders-backup",
        Tagging={"TagSet": [{"Key": "drready:backup-prefix", "Value": "dumps/"}, {"Key": "app", "Value": "orders"}]},
    )
    for b, s3 in (("orders-backup", s3_e), ("orders-backup-dr", s3_w)):
        s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_encryption(
            Bucket=b,
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/backups"}}]
            },
        )
        s3.put_object_lock_configuration(
            Bucket=b,
            ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 35}},
            },
        )
        s3.put_bucket_lifecycle_configuration(
            Bucket=b,
            LifecycleConfiguration={
                "Rules": [{"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 120}}]
            },
        )
        s3.put_public_access_block(
            Bucket=b,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
    s3_e.put_bucket_replication(
        Bucket="orders-backup",
        ReplicationConfiguration={
            "Role": "arn:aws:iam::%s:role/s3-replication" % ACCOUNT,
            "Rules": [
                {
                    "ID": "to-dr",
                    "Status": "Enabled",
                    "Priority": 1,
                    "Filter": {"Prefix": ""},
                    "DeleteMarkerReplication": {"Status": "Disabled"},
                    "Destination": {"Bucket": "arn:aws:s3:::orders-backup-dr"},
                }
            ],
        },
    )
    s3_e.put_object(Bucket="orders-backup", Key="dumps/2026/12/01/orders.sql.gz", Body=b"dump")
    # A backup bucket by name with nothing configured, and a bucket that holds no backups.
    s3_e.create_bucket(Bucket="legacy-backups")
    s3_e.create_bucket(Bucket="website-assets")
    # Backups that all expire on one date: their age at expiry is unknown.
    s3_e.create_bucket(Bucket="dated-backups")
    s3_e.put_bucket_lifecycle_configuration(
        Bucket="dated-backups",
        LifecycleConfiguration={
            "Rules": [
                {"ID": "purge", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Date": "2027-01-01T00:00:00Z"}}
            ]
        },
    )
    # Not named like a backup bucket, but tagged as one.
    s3_e.create_bucket(Bucket="wal-archive")
    s3_e.put_bucket_tagging(Bucket="wal-archive", Tagging={"TagSet": [{"Key": "drready:role", "Value": "backup"}]})

    bk_e, bk_w = client(endpoint, "backup", EAST), client(endpoint, "backup", WEST)
    bk_w.create_backup_vault(BackupVaultName="dr-vault")
    bk_e.create_backup_vault(BackupVaultName="main-vault")
    bk_e.put_backup_vault_lock_configuration(BackupVaultName="main-vault", MinRetentionDays=14)
    bk_e.create_backup_vault(BackupVaultName="unlocked-vault")
    dr_vault = "arn:aws:backup:%s:%s:backup-vault:dr-vault" % (WEST, ACCOUNT)
    bk_e.create_backup_plan(
        BackupPlan={
            "BackupPlanName": "daily",
            "Rules": [
                {
                    "RuleName": "daily-35d",
                    "TargetBackupVaultName": "main-vault",
                    "ScheduleExpression": "cron(0 5 ? * * *)",
                    "Lifecycle": {"DeleteAfterDays": 35},
                    "CopyActions": [{"DestinationBackupVaultArn": dr_vault, "Lifecycle": {"DeleteAfterDays": 35}}],
                }
            ],
        }
    )
    bk_e.create_backup_plan(
        BackupPlan={
            "BackupPlanName": "weekly-short",
            "Rules": [
                {
                    "RuleName": "weekly-7d",
                    "TargetBackupVaultName": "unlocked-vault",
                    "ScheduleExpression": "cron(0 5 ? * SUN *)",
                    "Lifecycle": {"DeleteAfterDays": 7},
                }
            ],
        }
    )

    iam = client(endpoint, "iam")
    trust = json.dumps({"Version": "2012-10-17", "Statement": []})
    iam.create_role(RoleName="DRAutomationRole", AssumeRolePolicyDocument=trust)
    iam.put_role_policy(
        RoleName="DRAutomationRole",
        PolicyName="dr-automation",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": ["rds:Describe*", "backup:List*"], "Resource": "*"},
                    {
                        "Effect": "Allow",
                        "Action": "rds:PromoteReadReplica",
                        "Resource": "arn:aws:rds:us-west-2:%s:db:good-db-replica" % ACCOUNT,
                    },
                ],
            }
        ),
    )
    iam.create_role(RoleName="backup-admin", AssumeRolePolicyDocument=trust)
    policy = iam.create_policy(
        PolicyName="backup-everything",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "backup:*", "Resource": "*"}]}
        ),
    )["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="backup-admin", PolicyArn=policy)
    iam.create_user(UserName="reader")
    iam.put_user_policy(
        UserName="reader",
        PolicyName="read",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
        ),
    )


def restricted(endpoint):
    """One database, and a user who may list RDS instances and nothing else of what drready
    reads: exactly four requests, made before moto starts enforcing IAM."""
    client(endpoint, "rds").create_db_instance(
        DBInstanceIdentifier="restricted-db",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="drready",
        MasterUserPassword="not-a-secret-1",
        AllocatedStorage=20,
        BackupRetentionPeriod=7,
    )
    iam = client(endpoint, "iam")
    iam.create_user(UserName="auditor-restricted")
    iam.put_user_policy(
        UserName="auditor-restricted",
        PolicyName="only-rds-instances",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["rds:DescribeDBInstances", "sts:GetCallerIdentity"],
                        "Resource": "*",
                    }
                ],
            }
        ),
    )
    key = iam.create_access_key(UserName="auditor-restricted")["AccessKey"]
    print(json.dumps({"key": key["AccessKeyId"], "secret": key["SecretAccessKey"]}))


def stale(endpoint):
    """stale-db: no snapshot at all (the one moto makes at creation is deleted), in the component
    `orders`, so that rds-latest-snapshot-age fails until a snapshot is taken."""
    rds = client(endpoint, "rds", EAST)
    db(
        rds,
        "stale-db",
        BackupRetentionPeriod=7,
        MultiAZ=True,
        StorageEncrypted=True,
        DeletionProtection=False,
        Tags=[{"Key": "app", "Value": "orders"}],
    )
    for s in rds.describe_db_snapshots(DBInstanceIdentifier="stale-db")["DBSnapshots"]:
        rds.delete_db_snapshot(DBSnapshotIdentifier=s["DBSnapshotIdentifier"])


def stale_readonly(endpoint):
    """stale-db (as `stale`), and a user who may read everything drready reads but change nothing;
    prints its keys and how many requests seeding made (moto enforces IAM after them)."""
    sent = []
    boto3.DEFAULT_SESSION = None
    session = boto3.session.Session()
    session.events.register("before-send", lambda **kw: sent.append(1))
    rds = session.client("rds", region_name=EAST, endpoint_url=endpoint,
                         aws_access_key_id="testing", aws_secret_access_key="testing")
    db(rds, "stale-db", BackupRetentionPeriod=7, MultiAZ=True, StorageEncrypted=True,
       DeletionProtection=False, Tags=[{"Key": "app", "Value": "orders"}])
    for s in rds.describe_db_snapshots(DBInstanceIdentifier="stale-db")["DBSnapshots"]:
        rds.delete_db_snapshot(DBSnapshotIdentifier=s["DBSnapshotIdentifier"])
    iam = session.client("iam", region_name=EAST, endpoint_url=endpoint,
                         aws_access_key_id="testing", aws_secret_access_key="testing")
    iam.create_user(UserName="auditor-readonly")
    reads = ["rds:Describe*", "rds:List*", "s3:Get*", "s3:List*", "backup:List*", "backup:Get*",
             "backup:Describe*", "cloudwatch:Describe*", "cloudwatch:Get*", "iam:Get*",
             "iam:List*", "sts:GetCallerIdentity"]
    iam.put_user_policy(
        UserName="auditor-readonly",
        PolicyName="read-only",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": reads, "Resource": "*"}]}),
    )
    key = iam.create_access_key(UserName="auditor-readonly")["AccessKey"]
    print(json.dumps({"key": key["AccessKeyId"], "secret": key["SecretAccessKey"],
                      "requests": len(sent)}))


def other_account(endpoint):
    """One database in account 111111111111, created through a role assumed there."""
    creds = client(endpoint, "sts").assume_role(
        RoleArn="arn:aws:iam::111111111111:role/drready-audit", RoleSessionName="seed"
    )["Credentials"]
    rds = boto3.client(
        "rds",
        region_name=EAST,
        endpoint_url=endpoint,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    db(rds, "other-db", BackupRetentionPeriod=7)


def bench(endpoint, n):
    """N of each kind, half in each region: RDS instances (every other one with a cross-region
    replica), buckets, backup plans and vaults, alarms, roles."""

    def one(i):
        region = EAST if i % 2 == 0 else WEST
        other = WEST if region == EAST else EAST
        rds = client(endpoint, "rds", region)
        arn = db(rds, "db-%05d" % i, BackupRetentionPeriod=7, MultiAZ=True, StorageEncrypted=True)
        if i % 4 == 0:
            client(endpoint, "rds", other).create_db_instance_read_replica(
                DBInstanceIdentifier="db-%05d-replica" % i,
                SourceDBInstanceIdentifier=arn,
                DBInstanceClass="db.t3.micro",
            )
        s3 = client(endpoint, "s3", region)
        conf = {} if region == EAST else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket="bench-backup-%05d" % i, **conf)
        backup = client(endpoint, "backup", region)
        backup.create_backup_vault(BackupVaultName="vault-%05d" % i)
        backup.create_backup_plan(
            BackupPlan={
                "BackupPlanName": "plan-%05d" % i,
                "Rules": [
                    {
                        "RuleName": "daily",
                        "TargetBackupVaultName": "vault-%05d" % i,
                        "ScheduleExpression": "cron(0 5 ? * * *)",
                        "Lifecycle": {"DeleteAfterDays": 35},
                    }
                ],
            }
        )
        client(endpoint, "cloudwatch", region).put_metric_alarm(
            AlarmName="alarm-%05d" % i,
            Namespace="AWS/RDS",
            MetricName="ReplicaLag",
            Dimensions=[{"Name": "DBInstanceIdentifier", "Value": "db-%05d-replica" % i}],
            Statistic="Maximum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=300,
            ComparisonOperator="GreaterThanThreshold",
            AlarmActions=["arn:aws:sns:%s:%s:oncall" % (region, ACCOUNT)],
        )
        client(endpoint, "iam").create_role(
            RoleName="role-%05d" % i,
            AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
        )

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(n)))


def org(endpoint, n):
    o = client(endpoint, "organizations")
    o.create_organization(FeatureSet="ALL")
    root = o.list_roots()["Roots"][0]["Id"]
    prod = o.create_organizational_unit(ParentId=root, Name="prod")["OrganizationalUnit"]["Id"]
    sandbox = o.create_organizational_unit(ParentId=root, Name="sandbox")["OrganizationalUnit"]["Id"]

    def account(name, ou):
        acct = o.create_account(Email="%s@example.com" % name, AccountName=name)
        acct = acct["CreateAccountStatus"]["AccountId"]
        o.move_account(AccountId=acct, SourceParentId=root, DestinationParentId=ou)
        return acct

    members = [account("member-%04d" % i, prod) for i in range(n)]
    sandboxed = account("sandbox", sandbox)
    closed = account("closed", prod)
    o.close_account(AccountId=closed)

    def fill(acct):
        creds = client(endpoint, "sts").assume_role(
            RoleArn="arn:aws:iam::%s:role/drready-audit" % acct, RoleSessionName="seed"
        )["Credentials"]
        keys = dict(aws_access_key_id=creds["AccessKeyId"],
                    aws_secret_access_key=creds["SecretAccessKey"],
                    aws_session_token=creds["SessionToken"])
        for region in (EAST, WEST):
            rds = boto3.client("rds", region_name=region, endpoint_url=endpoint, **keys)
            # Every other database keeps no automated backups: some controls pass, some fail.
            keep = 7 if int(acct) % 2 == 0 else 0
            db(rds, "db-%s-%s" % (acct, region), BackupRetentionPeriod=keep, StorageEncrypted=True)
            s3 = boto3.client("s3", region_name=region, endpoint_url=endpoint, **keys)
            conf = {} if region == EAST else {"CreateBucketConfiguration": {"LocationConstraint": region}}
            s3.create_bucket(Bucket="backup-%s-%s" % (acct, region), **conf)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(fill, members + [sandboxed]))
    print(json.dumps({"root": root, "prod": prod, "sandbox": sandbox, "members": members,
                      "sandboxed": sandboxed, "closed": closed}))


def velero_backup(name, schedule, phase, started, completed=None):
    """A `velero-backup.json` as Velero writes it (pkg/apis/velero/v1/backup_types.go)."""
    status = {
        "version": 1,
        "formatVersion": "1.1.0",
        "phase": phase,
        "startTimestamp": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "expiration": (started + datetime.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if completed is not None:
        status["completionTimestamp"] = completed.strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.dumps(
        {
            "kind": "Backup",
            "apiVersion": "velero.io/v1",
            "metadata": {
                "name": name,
                "namespace": "velero",
                "labels": {"velero.io/schedule-name": schedule, "velero.io/storage-location": "default"},
                "creationTimestamp": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
            "spec": {"includedNamespaces": ["*"], "storageLocation": "default", "ttl": "720h0m0s"},
            "status": status,
        }
    )


def platform(endpoint):
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    hours = lambda h: now - datetime.timedelta(hours=h)
    role = "arn:aws:iam::%s:role/eks" % ACCOUNT
    key = "arn:aws:kms:%s:%s:key/eks-secrets"
    logs = lambda *t: {"clusterLogging": [{"types": list(t), "enabled": True}]}

    def cluster(region, name, version, encrypted, log_types, groups):
        eks = client(endpoint, "eks", region)
        args = dict(
            name=name,
            version=version,
            roleArn=role,
            resourcesVpcConfig={"subnetIds": ["subnet-1", "subnet-2"]},
            logging=logs(*log_types),
        )
        if encrypted:
            args["encryptionConfig"] = [{"resources": ["secrets"], "provider": {"keyArn": key % (region, ACCOUNT)}}]
        eks.create_cluster(**args)
        for g, desired, minimum in groups:
            eks.create_nodegroup(
                clusterName=name,
                nodegroupName=g,
                subnets=["subnet-1"],
                nodeRole=role,
                scalingConfig={"minSize": minimum, "maxSize": 6, "desiredSize": desired},
            )

    # shop: every EKS control's good side, with its warm DR cluster `shop-dr` in the DR region.
    cluster(EAST, "shop", "1.29", True, ["api", "audit", "authenticator"], [("main", 3, 3)])
    cluster(WEST, "shop-dr", "1.29", True, ["api", "audit"], [("standby", 2, 2)])
    # jobs: secrets not encrypted, audit logs off; its DR cluster two versions behind and cold.
    cluster(EAST, "jobs", "1.30", False, ["api"], [("main", 2, 2)])
    cluster(WEST, "jobs-dr", "1.28", True, ["api", "audit"], [("cold", 0, 0)])
    # orphan: no DR cluster at all.
    cluster(EAST, "orphan", "1.29", True, ["api", "audit"], [("main", 2, 2)])

    # OpenSearch: a domain built for availability, and one built for nothing.
    es = client(endpoint, "opensearch")
    es.create_domain(
        DomainName="search-good",
        EngineVersion="OpenSearch_2.11",
        ClusterConfig={
            "InstanceCount": 3,
            "ZoneAwarenessEnabled": True,
            "ZoneAwarenessConfig": {"AvailabilityZoneCount": 3},
            "DedicatedMasterEnabled": True,
            "DedicatedMasterCount": 3,
            "MultiAZWithStandbyEnabled": True,
        },
        EncryptionAtRestOptions={"Enabled": True},
        NodeToNodeEncryptionOptions={"Enabled": True},
    )
    es.create_domain(
        DomainName="search-bad",
        EngineVersion="Elasticsearch_7.10",
        ClusterConfig={"InstanceCount": 1, "ZoneAwarenessEnabled": False, "DedicatedMasterEnabled": False},
        EncryptionAtRestOptions={"Enabled": False},
        NodeToNodeEncryptionOptions={"Enabled": True},
    )
    cw = client(endpoint, "cloudwatch")
    for domain, failures in (("search-good", 0.0), ("search-bad", 1.0)):
        cw.put_metric_data(
            Namespace="AWS/ES",
            MetricData=[
                {
                    "MetricName": "AutomatedSnapshotFailure",
                    "Dimensions": [
                        {"Name": "DomainName", "Value": domain},
                        {"Name": "ClientId", "Value": ACCOUNT},
                    ],
                    "Value": failures,
                    "Timestamp": hours(0.2),
                }
            ],
        )

    # Route 53: api has both sides, a healthy checked PRIMARY and a SECONDARY in the DR region;
    # www has only a PRIMARY, unchecked, with a long TTL; app's PRIMARY is unhealthy and its
    # SECONDARY is not in the DR region.
    r53 = client(endpoint, "route53")
    zone = r53.create_hosted_zone(Name="example.com", CallerReference="drready-zone")["HostedZone"]["Id"]

    def check(name):
        return r53.create_health_check(
            CallerReference="hc-" + name,
            HealthCheckConfig={
                "Type": "HTTPS",
                "FullyQualifiedDomainName": name + ".example.com",
                "Port": 443,
                "ResourcePath": "/health",
            },
        )["HealthCheck"]["Id"]

    healthy, unhealthy = check("api-primary"), check("app-primary")
    for hc, value in ((healthy, 1.0), (unhealthy, 0.0)):
        cw.put_metric_data(
            Namespace="AWS/Route53",
            MetricData=[
                {
                    "MetricName": "HealthCheckStatus",
                    "Dimensions": [{"Name": "HealthCheckId", "Value": hc}],
                    "Value": value,
                    "Timestamp": hours(0.1),
                }
            ],
        )

    def rr(name, side, value, ttl, hc=None):
        r = {
            "Name": name,
            "Type": "CNAME",
            "SetIdentifier": side.lower(),
            "Failover": side,
            "TTL": ttl,
            "ResourceRecords": [{"Value": value}],
        }
        if hc:
            r["HealthCheckId"] = hc
        return {"Action": "CREATE", "ResourceRecordSet": r}

    r53.change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={
            "Changes": [
                rr("api.example.com", "PRIMARY", "api.us-east-1.elb.amazonaws.com", 60, healthy),
                rr("api.example.com", "SECONDARY", "api-dr.us-west-2.elb.amazonaws.com", 60),
                rr("www.example.com", "PRIMARY", "www.us-east-1.elb.amazonaws.com", 300),
                rr("app.example.com", "PRIMARY", "app.us-east-1.elb.amazonaws.com", 60, unhealthy),
                rr("app.example.com", "SECONDARY", "app-dr.us-east-2.elb.amazonaws.com", 60),
            ]
        },
    )

    # Velero: a fresh daily schedule, a weekly one ten days old, an hourly one whose newest
    # backup failed after its last completed one; and, in a second location, a file that is not
    # a backup.
    s3 = client(endpoint, "s3")
    s3.create_bucket(Bucket="shop-velero")
    backups = [
        ("daily-20261125", "daily", "Completed", hours(3), hours(2.8)),
        ("daily-20261124", "daily", "Completed", hours(27), hours(26.8)),
        ("weekly-1", "weekly", "Completed", hours(240), hours(239.5)),
        ("hourly-1", "hourly", "Completed", hours(2), hours(1.9)),
        ("hourly-2", "hourly", "PartiallyFailed", hours(1), hours(0.9)),
    ]
    for name, schedule, phase, started, completed in backups:
        s3.put_object(
            Bucket="shop-velero",
            Key="backups/%s/velero-backup.json" % name,
            Body=velero_backup(name, schedule, phase, started, completed).encode(),
        )
    s3.create_bucket(Bucket="jobs-velero")
    s3.put_object(Bucket="jobs-velero", Key="backups/broken/velero-backup.json", Body=b'{"kind": "Backup", ')


def upload(endpoint, bucket, prefix, folder):
    import os

    s3 = client(endpoint, "s3")
    s3.create_bucket(Bucket=bucket)
    for root, _, files in os.walk(folder):
        for f in files:
            path = os.path.join(root, f)
            rel = os.path.relpath(path, folder).replace(os.sep, "/")
            with open(path, "rb") as fh:
                s3.put_object(Bucket=bucket, Key="%s/%s" % (prefix.strip("/"), rel), Body=fh.read())


if __name__ == "__main__":
    endpoint, mode = sys.argv[1], sys.argv[2]
    if mode == "planted":
        planted(endpoint)
    elif mode == "stale":
        stale(endpoint)
    elif mode == "stale-readonly":
        stale_readonly(endpoint)
    elif mode == "other-account":
        other_account(endpoint)
    elif mode == "restricted":
        restricted(endpoint)
    elif mode == "platform":
        platform(endpoint)
    elif mode == "upload":
        upload(endpoint, sys.argv[3], sys.argv[4], sys.argv[5])
    elif mode == "bench":
        bench(endpoint, int(sys.argv[3]))
    elif mode == "org":
        org(endpoint, int(sys.argv[3]))
    else:
        sys.exit("unknown mode %r" % mode)
