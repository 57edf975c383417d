//! The deployment examples in `docs/deploy/` and the `Dockerfile` are read as their engines read
//! them: the Kubernetes manifest as YAML, the Step Functions definition as JSON with its intrinsic
//! functions evaluated for each item. Every drready command line in them must parse; each shard
//! must resolve to its own index and file; and the audit must be given exactly the files the
//! shards write.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test should fail loudly on the first surprise"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Parser;
use drready::cli::{Cli, Command};
use drready::model::snapshot::Shard;
use serde_json::Value;

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// The drready command line, parsed as the binary parses it.
fn parse(args: &[String]) -> Command {
    let mut argv = vec!["drready".to_string()];
    argv.extend(args.iter().cloned());
    Cli::try_parse_from(&argv)
        .unwrap_or_else(|e| panic!("{argv:?} does not parse: {e}"))
        .command
}

/// Collect's shard and output file for one index, as drready resolves them.
fn shard_file(command: &Command, env: &BTreeMap<&str, String>) -> (Shard, String) {
    let Command::Collect(c) = command else {
        panic!("not a collect command: {command:?}")
    };
    let shard = Shard::parse(c.shard.as_deref().expect("no --shard"), &|v| {
        env.get(v).cloned()
    })
    .unwrap();
    let out = c.out.as_ref().expect("no --out").display().to_string();
    (shard, out.replace("{shard}", &shard.index.to_string()))
}

fn audit_snapshots(command: &Command) -> Vec<String> {
    let Command::Audit(a) = command else {
        panic!("not an audit command: {command:?}")
    };
    a.snapshot.iter().map(|p| p.display().to_string()).collect()
}

fn strings(v: &serde_yaml_ng::Value) -> Vec<String> {
    v.as_sequence()
        .unwrap()
        .iter()
        .map(|a| match a {
            serde_yaml_ng::Value::String(s) => s.clone(),
            serde_yaml_ng::Value::Number(n) => n.to_string(),
            other => panic!("{other:?} is not a string"),
        })
        .collect()
}

#[test]
fn the_kubernetes_indexed_job_collects_every_shard_once_and_audits_them_all() {
    let text = read("docs/deploy/kubernetes-indexed-job.yaml");
    let docs: Vec<serde_yaml_ng::Value> = serde_yaml_ng::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .collect();
    let kind = |k: &str, name: &str| {
        docs.iter()
            .find(|d| d["kind"].as_str() == Some(k) && d["metadata"]["name"].as_str() == Some(name))
            .unwrap_or_else(|| panic!("no {k} {name}"))
    };

    // The config the pods mount is a valid drready config for an organization.
    let config_text = kind("ConfigMap", "drready-config")["data"]["drready.toml"]
        .as_str()
        .unwrap();
    let config =
        drready::model::config::Config::parse(config_text, Path::new("drready.toml")).unwrap();
    assert_eq!(config.organization.unwrap().role_name, "DrreadyAudit");

    let collect = kind("Job", "drready-collect");
    assert_eq!(collect["spec"]["completionMode"].as_str(), Some("Indexed"));
    let completions = collect["spec"]["completions"].as_u64().unwrap() as u32;
    let pod = &collect["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    let mount = container["volumeMounts"][0]["mountPath"].as_str().unwrap();
    let command = parse(&strings(&container["args"]));
    let Command::Collect(c) = &command else {
        panic!()
    };
    assert!(c.config.as_ref().unwrap().starts_with(PathBuf::from(mount)));
    // Kubernetes gives each pod its index; each resolves to its own shard and file.
    let mut files = Vec::new();
    for i in 0..completions {
        let env = BTreeMap::from([("JOB_COMPLETION_INDEX", i.to_string())]);
        let (shard, file) = shard_file(&command, &env);
        assert_eq!(
            shard,
            Shard {
                index: i,
                count: completions
            }
        );
        assert!(file.starts_with("s3://"), "{file}");
        files.push(file);
    }
    files.dedup();
    assert_eq!(
        files.len(),
        completions as usize,
        "two shards write one file"
    );

    // The audit is given exactly the files the shards write.
    let audit = kind("Job", "drready-audit");
    let args = strings(&audit["spec"]["template"]["spec"]["containers"][0]["args"]);
    assert_eq!(audit_snapshots(&parse(&args)), files);
}

/// Evaluate the intrinsic functions this definition uses (`States.Array`, `States.Format`, paths)
/// against an input, as Step Functions does.
fn intrinsic(expr: &str, input: &Value, context: &Value) -> Value {
    let expr = expr.trim();
    if let Some(path) = expr.strip_prefix("$$.") {
        return context
            .pointer(&format!("/{}", path.replace('.', "/")))
            .cloned()
            .unwrap();
    }
    if let Some(path) = expr.strip_prefix("$.") {
        return input
            .pointer(&format!("/{}", path.replace('.', "/")))
            .cloned()
            .unwrap();
    }
    if let Some(s) = expr.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        return Value::String(s.to_string());
    }
    let (name, rest) = expr.split_once('(').unwrap();
    let inner = rest.strip_suffix(')').unwrap();
    // Split the arguments at top-level commas (outside quotes and parentheses).
    let (mut args, mut depth, mut quoted, mut start) = (Vec::new(), 0, false, 0);
    for (i, ch) in inner.char_indices() {
        match ch {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                args.push(intrinsic(&inner[start..i], input, context));
                start = i + 1;
            }
            _ => {}
        }
    }
    args.push(intrinsic(&inner[start..], input, context));
    match name {
        "States.Array" => Value::Array(args),
        "States.Format" => {
            let mut out = args[0].as_str().unwrap().to_string();
            for a in &args[1..] {
                let v = match a {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                out = out.replacen("{}", &v, 1);
            }
            Value::String(out)
        }
        other => panic!("intrinsic {other} is not used here"),
    }
}

fn command_of(task: &Value, input: &Value, context: &Value) -> Vec<String> {
    let expr = task["Parameters"]["Overrides"]["ContainerOverrides"][0]["Command.$"]
        .as_str()
        .unwrap();
    intrinsic(expr, input, context)
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_step_functions_distributed_map_collects_every_shard_once_and_audits_them_all() {
    let def: Value = serde_json::from_str(&read("docs/deploy/stepfunctions-distributed-map.json"))
        .expect("the definition is JSON");
    let states = &def["States"];
    let items: Vec<u64> = states["Shards"]["Result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    let map = &states["Collect"];
    assert_eq!(map["Type"], "Map");
    assert_eq!(
        map["ItemProcessor"]["ProcessorConfig"]["Mode"],
        "DISTRIBUTED"
    );
    assert_eq!(map["ItemsPath"], "$.shards");
    let processor = &map["ItemProcessor"];
    let task = &processor["States"][processor["StartAt"].as_str().unwrap()];
    let context = serde_json::json!({"Execution": {"Name": "run-1"}});
    let mut files = Vec::new();
    for (n, value) in items.iter().enumerate() {
        // The ItemSelector's input for this item.
        let input = serde_json::json!({"index": value, "run": "run-1"});
        assert_eq!(map["ItemSelector"]["index.$"], "$$.Map.Item.Value");
        let command = parse(&command_of(task, &input, &context));
        let (shard, file) = shard_file(&command, &BTreeMap::new());
        assert_eq!(
            shard,
            Shard {
                index: n as u32,
                count: items.len() as u32
            }
        );
        files.push(file);
    }
    files.dedup();
    assert_eq!(files.len(), items.len());
    let audit = parse(&command_of(&states["Audit"], &Value::Null, &context));
    assert_eq!(audit_snapshots(&audit), files);
    assert_eq!(map["Next"], "Audit");
}

#[test]
fn the_dockerfile_builds_the_binary_its_entrypoint_runs() {
    let text = read("Dockerfile");
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect();
    let build = lines
        .iter()
        .find(|l| l.starts_with("RUN cargo build"))
        .unwrap();
    assert!(build.contains("--release") && build.contains("--locked"));
    let copy = lines
        .iter()
        .find(|l| l.starts_with("COPY --from=build"))
        .unwrap();
    let parts: Vec<&str> = copy.split_whitespace().collect();
    assert_eq!(parts[2], "/src/target/release/drready");
    let entry = lines
        .iter()
        .find_map(|l| l.strip_prefix("ENTRYPOINT "))
        .unwrap();
    let entry: Vec<String> = serde_json::from_str(entry).unwrap();
    assert_eq!(entry, [parts[3]]);
    // The build image's Rust is at least the workspace's rust-version.
    let image = lines
        .iter()
        .find_map(|l| l.strip_prefix("FROM rust:"))
        .unwrap();
    let version = image.split('-').next().unwrap();
    let cargo = read("Cargo.toml");
    let wanted = cargo
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = \""))
        .unwrap()
        .trim_end_matches('"');
    let v = |s: &str| -> Vec<u32> { s.split('.').map(|p| p.parse().unwrap()).collect() };
    assert!(v(version) >= v(wanted), "{version} < {wanted}");
}
