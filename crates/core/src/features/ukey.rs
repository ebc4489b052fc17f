//! The UKEY as a second factor (等保 L3 two factors, JSCZ-53, ADR 0008):
//! the SM2 public key kept on the UKEY register entry, the challenge a
//! pending login asks the UKEY to sign, and the checks of both. The login
//! flow itself is in [`crate::features::auth`].

use serde::Serialize;
use yunwei_domain::crypto::{decode_loose_hex, parse_sm2_public_key, SM2_SIGNATURE_LEN};
use yunwei_domain::register::{spec, Val};
use yunwei_domain::AppError;
use yunwei_store::registers::{self as store, EntryRow};
use yunwei_store::DbConn;

use crate::{Platform, Principal};

/// How long a challenge may be answered.
pub const CHALLENGE_MINUTES: i64 = 5;

/// Prefix of every challenge text, so a signature made for a login is
/// never mistaken for one made for anything else.
pub const CHALLENGE_PREFIX: &str = "yunwei-login";

/// The UKEY an administrator logs in with: in use and with a public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginKey {
    pub serial: String,
    /// SEC1 uncompressed point, 65 bytes.
    pub public_key: Vec<u8>,
}

fn text<'a>(e: &'a EntryRow, f: &str) -> &'a str {
    e.get(f).text().unwrap_or("")
}

/// Checks the public key of a UKEY being filed or amended: empty, or an
/// SM2 public key in the documented form.
pub fn check_public_key(e: &EntryRow) -> Result<(), AppError> {
    let key = text(e, "public_key").trim();
    if key.is_empty() || parse_sm2_public_key(key).is_some() {
        return Ok(());
    }
    Err(AppError::bad_request(
        "register.ukey_public_key",
        "UKEY 签名公钥格式不正确：应为 SM2 公钥的未压缩点 04‖X‖Y，共 130 位十六进制，且须是 SM2 曲线上的点",
    ))
}

/// The UKEY in use of `username` that carries a public key, if any. A lost
/// or returned UKEY is not in use, so its key is never offered.
pub async fn login_key(c: &mut DbConn, username: &str) -> Result<Option<LoginKey>, AppError> {
    let ukeys = spec("ukeys").ok_or_else(AppError::internal)?;
    let rows = store::find(
        c,
        ukeys,
        &[
            ("holder", Val::Text(username.to_string())),
            ("status", Val::Text("issued".into())),
        ],
        10,
    )
    .await?;
    Ok(rows.iter().find_map(|e| {
        parse_sm2_public_key(text(e, "public_key")).map(|public_key| LoginKey {
            serial: text(e, "serial").to_string(),
            public_key,
        })
    }))
}

/// The caller's UKEY as the second factor sees it (the 动态口令 page).
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// The serial of the caller's UKEY in use, if any.
    pub serial: Option<String>,
    /// Its public key is registered: the login can take its signature.
    pub signature_login: bool,
}

pub async fn status(p: &Platform, pr: &Principal) -> Result<Status, AppError> {
    let mut c = p.db.read().await?;
    let ukeys = spec("ukeys").ok_or_else(AppError::internal)?;
    let in_use = store::find(
        &mut c,
        ukeys,
        &[
            ("holder", Val::Text(pr.username.clone())),
            ("status", Val::Text("issued".into())),
        ],
        10,
    )
    .await?;
    let key = login_key(&mut c, &pr.username).await?;
    Ok(Status {
        serial: key
            .as_ref()
            .map(|k| k.serial.clone())
            .or_else(|| in_use.first().map(|e| text(e, "serial").to_string())),
        signature_login: key.is_some(),
    })
}

/// The text a login asks the UKEY to sign: the purpose, the account and a
/// random nonce, all ASCII so the signed bytes are unambiguous.
pub fn challenge_text(username: &str, nonce: &[u8]) -> String {
    format!("{CHALLENGE_PREFIX}:{username}:{}", hex::encode(nonce))
}

/// A signature as pasted from UKEY middleware: `r || s`, 128 hex digits
/// (spaces, line breaks and colons ignored).
pub fn parse_signature(text: &str) -> Option<Vec<u8>> {
    decode_loose_hex(text).filter(|b| b.len() == SM2_SIGNATURE_LEN)
}
