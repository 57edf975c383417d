//! The IAM permissions the collectors need: every SDK operation they call, with the IAM action
//! that authorises it. `drready iam-policy` prints them as a policy; a test against moto_server
//! records every operation a collection makes and checks that each one is listed here.

use std::collections::BTreeSet;

/// (SDK service and operation, as the SDK names them; IAM action). The S3 actions differ from the
/// operations' names (`GetBucketEncryption` needs `s3:GetEncryptionConfiguration`).
pub const OPERATIONS: &[(&str, &str)] = &[
    ("STS:GetCallerIdentity", "sts:GetCallerIdentity"),
    ("RDS:DescribeDBInstances", "rds:DescribeDBInstances"),
    ("RDS:DescribeDBClusters", "rds:DescribeDBClusters"),
    ("RDS:DescribeGlobalClusters", "rds:DescribeGlobalClusters"),
    ("RDS:DescribeDBSnapshots", "rds:DescribeDBSnapshots"),
    (
        "RDS:DescribeDBClusterSnapshots",
        "rds:DescribeDBClusterSnapshots",
    ),
    ("CloudWatch:DescribeAlarms", "cloudwatch:DescribeAlarms"),
    ("CloudWatch:GetMetricData", "cloudwatch:GetMetricData"),
    ("S3:ListBuckets", "s3:ListAllMyBuckets"),
    ("S3:GetBucketLocation", "s3:GetBucketLocation"),
    ("S3:GetBucketTagging", "s3:GetBucketTagging"),
    ("S3:GetBucketEncryption", "s3:GetEncryptionConfiguration"),
    ("S3:GetBucketVersioning", "s3:GetBucketVersioning"),
    (
        "S3:GetObjectLockConfiguration",
        "s3:GetBucketObjectLockConfiguration",
    ),
    (
        "S3:GetBucketLifecycleConfiguration",
        "s3:GetLifecycleConfiguration",
    ),
    ("S3:GetBucketReplication", "s3:GetReplicationConfiguration"),
    ("S3:GetPublicAccessBlock", "s3:GetBucketPublicAccessBlock"),
    ("S3:ListObjectsV2", "s3:ListBucket"),
    ("Backup:ListBackupPlans", "backup:ListBackupPlans"),
    ("Backup:GetBackupPlan", "backup:GetBackupPlan"),
    ("Backup:ListBackupSelections", "backup:ListBackupSelections"),
    ("Backup:GetBackupSelection", "backup:GetBackupSelection"),
    ("Backup:ListBackupVaults", "backup:ListBackupVaults"),
    (
        "Backup:GetBackupVaultAccessPolicy",
        "backup:GetBackupVaultAccessPolicy",
    ),
    (
        "Backup:ListRecoveryPointsByBackupVault",
        "backup:ListRecoveryPointsByBackupVault",
    ),
    (
        "Backup:ListProtectedResources",
        "backup:ListProtectedResources",
    ),
    ("Backup:ListBackupJobs", "backup:ListBackupJobs"),
    ("Backup:ListRestoreJobs", "backup:ListRestoreJobs"),
    (
        "IAM:GetAccountAuthorizationDetails",
        "iam:GetAccountAuthorizationDetails",
    ),
    ("EKS:ListClusters", "eks:ListClusters"),
    ("EKS:DescribeCluster", "eks:DescribeCluster"),
    ("EKS:ListNodegroups", "eks:ListNodegroups"),
    ("EKS:DescribeNodegroup", "eks:DescribeNodegroup"),
    ("OpenSearch:ListDomainNames", "es:ListDomainNames"),
    ("OpenSearch:DescribeDomains", "es:DescribeDomains"),
    ("Route53:ListHostedZones", "route53:ListHostedZones"),
    (
        "Route53:ListResourceRecordSets",
        "route53:ListResourceRecordSets",
    ),
    ("Route53:ListHealthChecks", "route53:ListHealthChecks"),
    ("Route53:GetHealthCheck", "route53:GetHealthCheck"),
    // `[organization]`: the caller's side (the management account or a delegated administrator).
    ("Organizations:ListAccounts", "organizations:ListAccounts"),
    (
        "Organizations:ListAccountsForParent",
        "organizations:ListAccountsForParent",
    ),
    (
        "Organizations:ListOrganizationalUnitsForParent",
        "organizations:ListOrganizationalUnitsForParent",
    ),
    // Velero's `velero-backup.json` files and a snapshot repository's `index-N` and `snap-*.dat`.
    ("S3:GetObject", "s3:GetObject"),
];

/// Not an SDK call: reading a domain's snapshots through its own API, signed with SigV4
/// (`GET _snapshot/cs-automated-enc/_all`). Listed in the policy beside the SDK's actions.
pub const SNAPSHOT_API: &str = "es:ESHttpGet";

/// Calling a role of another account (`[[accounts]]`) needs this on the caller's side.
pub const ASSUME_ROLE: &str = "sts:AssumeRole";

/// The IAM action for an SDK operation (`RDS:DescribeDBInstances`).
pub fn action_for(operation: &str) -> Option<&'static str> {
    OPERATIONS
        .iter()
        .find(|(op, _)| *op == operation)
        .map(|(_, a)| *a)
}

/// The read-only policy: every action the collectors call, on every resource.
pub fn policy() -> serde_json::Value {
    let actions: BTreeSet<&str> = OPERATIONS
        .iter()
        .map(|(_, a)| *a)
        .chain([SNAPSHOT_API])
        .collect();
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DrreadyReadOnly",
                "Effect": "Allow",
                "Action": actions,
                "Resource": "*"
            }
        ]
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_action_only_reads() {
        for (_, action) in super::OPERATIONS {
            let verb = action.split_once(':').map(|(_, v)| v).unwrap_or_default();
            assert!(
                ["Describe", "List", "Get"]
                    .iter()
                    .any(|p| verb.starts_with(p)),
                "{action} is not a read"
            );
        }
    }
}
