//! Amazon Resource Names: the parts drready reads from them.

/// The account id in an ARN (`arn:aws:iam::123456789012:role/x`).
pub fn arn_account(arn: &str) -> Option<&str> {
    let mut parts = arn.strip_prefix("arn:")?.split(':');
    let account = parts.nth(3)?;
    (!account.is_empty() && account.chars().all(|c| c.is_ascii_digit())).then_some(account)
}

/// The region in an ARN, when it has one.
pub fn arn_region(arn: &str) -> Option<&str> {
    let region = arn.strip_prefix("arn:")?.split(':').nth(2)?;
    (!region.is_empty()).then_some(region)
}
