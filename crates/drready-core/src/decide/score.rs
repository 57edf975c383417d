//! Scores and grades, computed once from the verdicts.
//!
//! - A control's ratio is passed / (passed + failed + no_evidence) over the entities it applies to.
//! - A framework's score is the severity-weighted mean (critical 10, high 5, medium 3, low 1) of the
//!   ratios of the controls its file maps to any of its requirements that apply to something, times
//!   100. A component's score is the same over all controls, counting only the component's entities.
//! - A requirement is *met* when every mapped control that applies to something passes everywhere,
//!   *not met* when one fails somewhere, *no evidence* when none fails but one lacks evidence, and
//!   *not assessed* when no mapped control applies to anything (or none is mapped).
//! - Grade: A ≥ 90, B ≥ 80, C ≥ 70, D ≥ 60, else F. A failing critical control caps the grade at C.
//!
//! `SCORE_VERSION` changes whenever this formula does, so that scores stay comparable.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::evaluate::catalog::{Catalog, Severity};
use crate::evaluate::{Evaluation, Status};

/// 2: framework scores follow the framework files' mappings (version 1 mapped every control to
/// every framework through policy annotations).
pub const SCORE_VERSION: u32 = 2;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub pass: usize,
    pub fail: usize,
    pub no_evidence: usize,
    pub not_applicable: usize,
}

impl Tally {
    fn add(&mut self, s: Status) {
        match s {
            Status::Pass => self.pass += 1,
            Status::Fail => self.fail += 1,
            Status::NoEvidence => self.no_evidence += 1,
            Status::NotApplicable => self.not_applicable += 1,
        }
    }

    /// The entities judged (not applicable ones excluded).
    pub fn judged(&self) -> usize {
        self.pass + self.fail + self.no_evidence
    }

    pub fn ratio(&self) -> Option<f64> {
        (self.judged() > 0).then(|| self.pass as f64 / self.judged() as f64)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ControlScore {
    pub id: String,
    pub severity: Severity,
    #[serde(flatten)]
    pub tally: Tally,
    /// 0 to 100; absent when the control applies to nothing.
    pub score: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Grade {
    /// 0 to 100; absent when no control applies.
    pub score: Option<f64>,
    pub grade: char,
    /// A failing critical control capped the grade at C.
    pub capped: bool,
    pub tally: Tally,
}

#[derive(Debug, Clone, Serialize)]
pub struct FrameworkScore {
    /// The framework's id (`soc2`).
    pub framework: String,
    pub title: String,
    #[serde(flatten)]
    pub grade: Grade,
    /// Controls mapped to the framework that apply to something.
    pub controls: usize,
    /// How many requirements have each status.
    pub requirement_tally: RequirementTally,
    pub requirements: Vec<RequirementScore>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequirementStatus {
    NotMet,
    NoEvidence,
    NotAssessed,
    Met,
}

impl RequirementStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Met => "met",
            Self::NotMet => "not_met",
            Self::NoEvidence => "no_evidence",
            Self::NotAssessed => "not_assessed",
        }
    }

    /// In words, for readers.
    pub fn words(self) -> &'static str {
        match self {
            Self::Met => "met",
            Self::NotMet => "not met",
            Self::NoEvidence => "no evidence",
            Self::NotAssessed => "not assessed",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RequirementTally {
    pub met: usize,
    pub not_met: usize,
    pub no_evidence: usize,
    pub not_assessed: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct RequirementScore {
    pub id: String,
    pub title: String,
    pub status: RequirementStatus,
    /// The mapped controls, by id, with their status over the resources they apply to.
    pub controls: Vec<RequirementControl>,
    /// Why it is not assessed, when it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_assessed: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RequirementControl {
    pub id: String,
    /// The control's status over everything it applies to (`not_assessed` when nothing).
    pub status: RequirementStatus,
    #[serde(flatten)]
    pub tally: Tally,
}

#[derive(Debug, Clone, Serialize)]
pub struct ComponentScore {
    pub name: String,
    #[serde(flatten)]
    pub grade: Grade,
}

#[derive(Debug, Clone, Serialize)]
pub struct Scorecard {
    pub score_version: u32,
    pub overall: Grade,
    pub frameworks: Vec<FrameworkScore>,
    pub components: Vec<ComponentScore>,
    pub controls: Vec<ControlScore>,
}

pub fn letter(score: f64) -> char {
    match score {
        s if s >= 90.0 => 'A',
        s if s >= 80.0 => 'B',
        s if s >= 70.0 => 'C',
        s if s >= 60.0 => 'D',
        _ => 'F',
    }
}

/// The weighted grade over the controls `tallies` (index → tally) for which `include` holds.
fn grade(catalog: &Catalog, tallies: &[Tally], include: impl Fn(usize) -> bool) -> Grade {
    let (mut num, mut den) = (0.0, 0.0);
    let mut capped = false;
    let mut total = Tally::default();
    for (i, t) in tallies.iter().enumerate().filter(|(i, _)| include(*i)) {
        let c = &catalog.controls[i];
        total.pass += t.pass;
        total.fail += t.fail;
        total.no_evidence += t.no_evidence;
        total.not_applicable += t.not_applicable;
        if let Some(r) = t.ratio() {
            num += c.severity.weight() * r;
            den += c.severity.weight();
        }
        if c.severity == Severity::Critical && t.fail > 0 {
            capped = true;
        }
    }
    let score = (den > 0.0).then(|| (100.0 * num / den * 10.0).round() / 10.0);
    let mut g = score.map_or('F', letter);
    let capped = capped && g < 'C';
    if capped {
        g = 'C';
    }
    Grade {
        score,
        grade: g,
        capped,
        tally: total,
    }
}

/// A control's status over everything it applies to.
fn tally_status(t: &Tally) -> RequirementStatus {
    if t.fail > 0 {
        RequirementStatus::NotMet
    } else if t.no_evidence > 0 {
        RequirementStatus::NoEvidence
    } else if t.pass > 0 {
        RequirementStatus::Met
    } else {
        RequirementStatus::NotAssessed
    }
}

pub fn score(catalog: &Catalog, eval: &Evaluation) -> Scorecard {
    let n = catalog.controls.len();
    let mut tallies = vec![Tally::default(); n];
    let mut by_component: BTreeMap<u32, Vec<Tally>> = BTreeMap::new();
    for (control, resource, status) in eval.statuses() {
        tallies[control as usize].add(status);
        let c = eval.resources[resource as usize].component;
        by_component
            .entry(c)
            .or_insert_with(|| vec![Tally::default(); n])[control as usize]
            .add(status);
    }
    let index: std::collections::HashMap<&str, usize> = catalog
        .controls
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    let frameworks = catalog
        .frameworks
        .iter()
        .map(|fw| {
            let mut mapped = vec![false; n];
            let mut requirements = Vec::with_capacity(fw.requirements.len());
            let mut rt = RequirementTally::default();
            for r in &fw.requirements {
                let controls: Vec<RequirementControl> = r
                    .controls
                    .iter()
                    .filter_map(|m| index.get(m.control.as_str()).copied())
                    .map(|i| {
                        mapped[i] = true;
                        let t = tallies[i];
                        RequirementControl {
                            id: catalog.controls[i].id.clone(),
                            status: tally_status(&t),
                            tally: t,
                        }
                    })
                    .collect();
                let status = controls
                    .iter()
                    .map(|c| c.status)
                    .filter(|s| *s != RequirementStatus::NotAssessed)
                    .min()
                    .unwrap_or(RequirementStatus::NotAssessed);
                match status {
                    RequirementStatus::Met => rt.met += 1,
                    RequirementStatus::NotMet => rt.not_met += 1,
                    RequirementStatus::NoEvidence => rt.no_evidence += 1,
                    RequirementStatus::NotAssessed => rt.not_assessed += 1,
                }
                let not_assessed = (status == RequirementStatus::NotAssessed).then(|| {
                    if controls.is_empty() {
                        "no control covers it".to_string()
                    } else {
                        "its controls applied to nothing collected".to_string()
                    }
                });
                requirements.push(RequirementScore {
                    id: r.id.clone(),
                    title: r.title.clone(),
                    status,
                    controls,
                    not_assessed,
                });
            }
            FrameworkScore {
                framework: fw.id.clone(),
                title: fw.title.clone(),
                controls: (0..n)
                    .filter(|&i| mapped[i] && tallies[i].judged() > 0)
                    .count(),
                grade: grade(catalog, &tallies, |i| mapped[i]),
                requirement_tally: rt,
                requirements,
            }
        })
        .collect();
    let components = eval
        .components
        .iter()
        .enumerate()
        .map(|(i, c)| ComponentScore {
            name: c.spec.name.clone(),
            grade: match by_component.get(&(i as u32)) {
                Some(t) => grade(catalog, t, |_| true),
                None => grade(catalog, &[], |_| true),
            },
        })
        .collect();
    let controls = catalog
        .controls
        .iter()
        .zip(&tallies)
        .map(|(c, t)| ControlScore {
            id: c.id.clone(),
            severity: c.severity,
            tally: *t,
            score: t.ratio().map(|r| (r * 1000.0).round() / 10.0),
        })
        .collect();
    Scorecard {
        score_version: SCORE_VERSION,
        overall: grade(catalog, &tallies, |_| true),
        frameworks,
        components,
        controls,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grades_follow_the_thresholds() {
        assert_eq!(letter(95.0), 'A');
        assert_eq!(letter(90.0), 'A');
        assert_eq!(letter(89.9), 'B');
        assert_eq!(letter(70.0), 'C');
        assert_eq!(letter(60.0), 'D');
        assert_eq!(letter(12.0), 'F');
    }

    #[test]
    fn no_evidence_costs_like_a_failure() {
        let t = Tally {
            pass: 1,
            fail: 0,
            no_evidence: 1,
            not_applicable: 5,
        };
        assert_eq!(t.ratio(), Some(0.5));
        assert_eq!(Tally::default().ratio(), None);
    }
}
