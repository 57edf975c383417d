//! The run's verdict, decided once, here: an audit's `Decision`, and a plan's `GateOutcome` with
//! its findings, waivers and baseline. Renderers never decide it; the CLI maps a decision to an
//! exit code (`cli::exit`).

use crate::evaluate::catalog::{Catalog, Severity};
use crate::evaluate::{Evaluation, Status};

/// What a run concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Nothing blocks: no failure at or above the threshold (or no threshold).
    Pass,
    /// A failing control at or above `--fail-on` (for a plan: a blocking finding).
    Findings,
    /// Incomplete evidence under `--strict`: some verdict is no_evidence.
    Incomplete,
}

/// What an audit concluded. A failing finding outranks incomplete evidence.
pub fn decide(
    catalog: &Catalog,
    eval: &Evaluation,
    fail_on: Option<Severity>,
    strict: bool,
) -> Decision {
    if let Some(threshold) = fail_on {
        let failed = eval.statuses().any(|(c, _, s)| {
            s == Status::Fail && catalog.controls[c as usize].severity >= threshold
        });
        if failed {
            return Decision::Findings;
        }
    }
    if strict && eval.statuses().any(|(_, _, s)| s == Status::NoEvidence) {
        return Decision::Incomplete;
    }
    Decision::Pass
}

/// A finding of the gate: a control that failed, lacked evidence, or was accepted.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Finding {
    pub control: String,
    pub title: String,
    pub severity: Severity,
    pub remediation: Option<String>,
    /// The Terraform address.
    pub resource: String,
    pub name: String,
    pub status: FindingStatus,
    /// The facts that decided it, or the cause of missing evidence.
    pub reason: String,
    pub frameworks: std::collections::BTreeMap<String, Vec<String>>,
    pub waiver: Option<crate::decide::waivers::Waiver>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingStatus {
    /// Fails, and counts against the gate at or above `--fail-on`.
    Fail,
    /// A waiver covered it, but it has expired: fails again.
    WaiverExpired,
    /// Neither pass nor fail: a value known only after apply, or a fact the plan lacks.
    NoEvidence,
    /// In the baseline: accepted as it was.
    Baselined,
    /// Covered by a current waiver.
    Waived,
}

impl FindingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fail => "fail",
            Self::WaiverExpired => "waiver expired",
            Self::NoEvidence => "no evidence",
            Self::Baselined => "baselined",
            Self::Waived => "waived",
        }
    }

    /// Whether it can fail the gate.
    pub fn blocks(self) -> bool {
        matches!(self, Self::Fail | Self::WaiverExpired)
    }
}

/// The gate's judgement of a plan, computed once, here.
#[derive(Debug, Clone, serde::Serialize)]
pub struct GateOutcome {
    pub fail_on: Severity,
    pub findings: Vec<Finding>,
    pub passed: usize,
    pub not_applicable: usize,
    pub resources: usize,
    /// Findings that fail the gate.
    pub blocking: usize,
    /// The JSON report records the exit code this maps to, after `blocking`.
    #[serde(skip)]
    pub decision: Decision,
}

/// Judge a plan's evaluation: waivers, then the baseline, then the threshold.
pub fn judge_plan(
    catalog: &Catalog,
    eval: &Evaluation,
    waivers: &[crate::decide::waivers::Waiver],
    baseline: Option<&crate::decide::waivers::Baseline>,
    fail_on: Severity,
) -> GateOutcome {
    let today = eval.as_of.date_naive();
    let mut findings = Vec::new();
    let (mut passed, mut not_applicable) = (0, 0);
    for v in eval.verdicts() {
        let status = match v.status {
            Status::Pass => {
                passed += 1;
                continue;
            }
            Status::NotApplicable => {
                not_applicable += 1;
                continue;
            }
            Status::Fail => FindingStatus::Fail,
            Status::NoEvidence => FindingStatus::NoEvidence,
        };
        let c = &catalog.controls[v.control as usize];
        let r = &eval.resources[v.resource as usize];
        let ids = [&*r.id, r.name()];
        let waiver = waivers.iter().find(|w| w.matches(&c.id, &ids)).cloned();
        let status = match (&waiver, status) {
            (Some(w), FindingStatus::Fail) if w.expires < today => FindingStatus::WaiverExpired,
            (Some(_), _) => FindingStatus::Waived,
            (None, s) => s,
        };
        let status = match baseline {
            Some(b)
                if status == FindingStatus::Fail
                    && b.findings.contains(&(c.id.clone(), r.id.to_string())) =>
            {
                FindingStatus::Baselined
            }
            _ => status,
        };
        findings.push(Finding {
            control: c.id.clone(),
            title: c.title.clone(),
            severity: c.severity,
            remediation: c.remediation.clone(),
            resource: r.id.to_string(),
            name: r.name().to_string(),
            status,
            reason: crate::evaluate::explain::reason_of(catalog, eval, &v),
            frameworks: c.frameworks.clone(),
            waiver,
        });
    }
    findings.sort_by(|a, b| {
        a.status
            .cmp(&b.status)
            .then(b.severity.cmp(&a.severity))
            .then_with(|| a.control.cmp(&b.control))
            .then_with(|| a.resource.cmp(&b.resource))
    });
    let blocking = findings
        .iter()
        .filter(|f| f.status.blocks() && f.severity >= fail_on)
        .count();
    GateOutcome {
        fail_on,
        passed,
        not_applicable,
        resources: eval.resources.len(),
        blocking,
        decision: if blocking > 0 {
            Decision::Findings
        } else {
            Decision::Pass
        },
        findings,
    }
}

impl GateOutcome {
    /// The baseline that accepts every current failure.
    pub fn baseline(&self) -> crate::decide::waivers::Baseline {
        crate::decide::waivers::Baseline {
            version: 1,
            findings: self
                .findings
                .iter()
                .filter(|f| {
                    matches!(
                        f.status,
                        FindingStatus::Fail
                            | FindingStatus::Baselined
                            | FindingStatus::WaiverExpired
                    )
                })
                .map(|f| (f.control.clone(), f.resource.clone()))
                .collect(),
        }
    }
}
