//! Everything that calls AWS: the session (credentials, accounts, regions, concurrency, failures as
//! gaps), live collection over it (`collect`), one collector per service (`rds`, `s3`, `backup`, `cloudwatch`, `iam`, `eks`, `velero`, `route53`, `search` for OpenSearch and Elasticsearch), the IAM actions
//! they need (`permissions`), and the bundle upload (`upload`). The only code that uses the AWS
//! SDK or tokio.

// The core's model and helpers, under the names the layer rules use (`crate::model`, `crate::util`).
use drready_core::{model, util, VERSION};

pub mod backup;
pub mod cloudwatch;
pub mod collect;
pub mod discover;
pub mod eks;
pub mod iam;
pub mod kms;
pub mod organizations;
pub mod permissions;
pub mod rates;
pub mod rds;
pub mod remediate;
pub mod route53;
pub mod s3;
pub mod search;
pub mod session;
pub mod upload;
pub mod velero;
