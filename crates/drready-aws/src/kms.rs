//! Signing evidence bundles with an AWS KMS asymmetric key (`--sign-kms-key`), and checking such a
//! signature (`evidence verify --kms`). The key never leaves KMS: drready asks it to sign a short
//! statement naming the manifest's SHA-256 (`drready-manifest-sha256:HEX`, a RAW message, so that
//! AWS and any offline verifier hash the same bytes), and later asks it to verify.

use crate::util::error::Error;

/// Which algorithm to sign with: the first the key offers, in this order of preference.
const PREFERRED: &[&str] = &[
    "ECDSA_SHA_256",
    "ECDSA_SHA_384",
    "ECDSA_SHA_512",
    "RSASSA_PSS_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_256",
];

async fn client(endpoint: Option<&str>) -> aws_sdk_kms::Client {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(super::upload::http_client());
    if let Some(ep) = endpoint {
        loader = loader.endpoint_url(ep);
    }
    aws_sdk_kms::Client::new(&loader.load().await)
}

fn fail(what: &str, key: &str, e: &dyn std::error::Error) -> Error {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    Error::Other(format!(
        "KMS key `{key}`: {what}: {}",
        crate::util::text::one_line(&text, 300)
    ))
}

/// Sign `message` with `key` (id, ARN or alias): (the key's ARN, the algorithm, the signature).
pub async fn sign(
    key: &str,
    message: &[u8],
    endpoint: Option<&str>,
) -> Result<(String, String, Vec<u8>), Error> {
    let kms = client(endpoint).await;
    let described = kms
        .describe_key()
        .key_id(key)
        .send()
        .await
        .map_err(|e| fail("DescribeKey", key, &e))?;
    let meta = described
        .key_metadata()
        .ok_or_else(|| Error::Other(format!("KMS key `{key}`: DescribeKey gave no metadata")))?;
    let offered: Vec<String> = meta
        .signing_algorithms()
        .iter()
        .map(|a| a.as_str().to_string())
        .collect();
    let algorithm = PREFERRED
        .iter()
        .find(|p| offered.iter().any(|o| o == *p))
        .map(|p| (*p).to_string())
        .ok_or_else(|| {
            Error::Other(format!(
                "KMS key `{key}` cannot sign (key usage {:?}, algorithms {offered:?}): create an asymmetric SIGN_VERIFY key",
                meta.key_usage().map(|u| u.as_str())
            ))
        })?;
    let out = kms
        .sign()
        .key_id(key)
        .message(aws_sdk_kms::primitives::Blob::new(message))
        .message_type(aws_sdk_kms::types::MessageType::Raw)
        .signing_algorithm(aws_sdk_kms::types::SigningAlgorithmSpec::from(
            algorithm.as_str(),
        ))
        .send()
        .await
        .map_err(|e| fail("Sign", key, &e))?;
    let signature = out
        .signature()
        .map(|b| b.as_ref().to_vec())
        .ok_or_else(|| Error::Other(format!("KMS key `{key}`: Sign gave no signature")))?;
    Ok((
        out.key_id().unwrap_or(key).to_string(),
        algorithm,
        signature,
    ))
}

/// Ask KMS whether `signature` is `key`'s signature of `message` under `algorithm`.
pub async fn verify(
    key: &str,
    algorithm: &str,
    message: &[u8],
    signature: &[u8],
    endpoint: Option<&str>,
) -> Result<bool, Error> {
    let kms = client(endpoint).await;
    let out = kms
        .verify()
        .key_id(key)
        .message(aws_sdk_kms::primitives::Blob::new(message))
        .message_type(aws_sdk_kms::types::MessageType::Raw)
        .signature(aws_sdk_kms::primitives::Blob::new(signature))
        .signing_algorithm(aws_sdk_kms::types::SigningAlgorithmSpec::from(algorithm))
        .send()
        .await;
    match out {
        Ok(o) => Ok(o.signature_valid()),
        // KMS answers an invalid signature with an error of its own, not `false`.
        Err(e)
            if e.as_service_error().is_some_and(
                aws_sdk_kms::operation::verify::VerifyError::is_kms_invalid_signature_exception,
            ) =>
        {
            Ok(false)
        }
        Err(e) => Err(fail("Verify", key, &e)),
    }
}
