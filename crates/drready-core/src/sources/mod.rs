//! Offline sources: files read into the model. DR documents (`docs`), DR
//! test history (`dr_tests`), Terraform plans (`plan`), the bundled example (`example`) and
//! synthetic snapshots for benchmarks (`synth`), the shards of a collection merged (`shards`). `disk` is where they read files from: the disk,
//! or files embedded in the binary.

pub mod disk;
pub mod docs;
pub mod dr_tests;
pub mod example;
pub mod plan;
pub mod shards;
pub mod synth;
