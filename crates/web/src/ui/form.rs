//! Shared form helpers: urlencoded forms and multipart uploads read with
//! Chinese refusals, the common small forms, and query values we build.

use axum::http::StatusCode;
use serde::Deserialize;
use yunwei_core::orgs::OrgView;
use yunwei_domain::roles::Action;
use yunwei_domain::AppError;

use super::error::UiError;
use super::session::UiUser;
use crate::AppState;

/// Form parsing with a Chinese rejection.
pub struct UiForm<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for UiForm<T> {
    type Rejection = UiError;
    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(v)) => Ok(UiForm(v)),
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => Err(UiError(
                crate::error::error_for_status(axum::http::StatusCode::PAYLOAD_TOO_LARGE),
            )),
            Err(_) => Err(UiError(AppError::bad_request(
                "request.invalid_form",
                "表单内容不完整或格式不正确",
            ))),
        }
    }
}

/// A multipart form of text fields and one `file`, read in full (the
/// route's body limit bounds it).
#[derive(Default)]
pub(super) struct Upload {
    pub(super) fields: std::collections::HashMap<String, String>,
    pub(super) filename: String,
    pub(super) content: Vec<u8>,
}

impl Upload {
    pub(super) fn field(&self, name: &str) -> String {
        self.fields.get(name).cloned().unwrap_or_default()
    }
}

pub(super) fn bad_upload() -> AppError {
    AppError::bad_request("request.invalid_form", "上传内容不完整或格式不正确")
}

/// Reads an upload form; a file over `max_bytes` (or a body over the
/// route's limit) is refused with `too_big`, what says the limit.
pub(super) async fn read_upload(
    mut m: axum::extract::Multipart,
    max_bytes: usize,
    too_big: fn() -> AppError,
) -> Result<Upload, AppError> {
    let mut up = Upload::default();
    loop {
        let field = match m.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_big()),
            Err(_) => return Err(bad_upload()),
        };
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            up.filename = field.file_name().unwrap_or_default().to_string();
            up.content = match field.bytes().await {
                Ok(b) => b.to_vec(),
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_big()),
                Err(_) => return Err(bad_upload()),
            };
            if up.content.len() > max_bytes {
                return Err(too_big());
            }
        } else {
            let text = field.text().await.map_err(|_| bad_upload())?;
            up.fields.insert(name, text);
        }
    }
    Ok(up)
}

#[derive(Deserialize)]
pub(super) struct ReasonForm {
    #[serde(default)]
    pub(super) reason: String,
}

/// Minimal percent-encoding for query values we build ourselves.
pub(super) fn urlencoding(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A choice of a select: (value, label, selected).
pub(super) type Opt = (String, String, bool);

/// The choices of a select with `current` selected.
pub(super) fn opts(items: Vec<(String, String)>, current: &str) -> Vec<Opt> {
    items
        .into_iter()
        .map(|(v, l)| {
            let sel = v == current;
            (v, l, sel)
        })
        .collect()
}

/// The organisations the caller may choose for `action`.
pub(super) async fn org_choices(
    s: &AppState,
    u: &UiUser,
    action: Action,
) -> Result<Vec<OrgView>, AppError> {
    yunwei_core::orgs::choices(&s.platform, &u.principal, action).await
}

/// An organisation's name indented by its depth in the tree.
pub(super) fn indented(o: &OrgView) -> String {
    format!("{}{}", "　".repeat(o.depth.saturating_sub(1)), o.name)
}

/// The organisations the caller may choose for `action`, as (id, indented
/// name).
pub(super) async fn org_options(
    s: &AppState,
    u: &UiUser,
    action: Action,
) -> Result<Vec<(String, String)>, AppError> {
    Ok(org_choices(s, u, action)
        .await?
        .iter()
        .map(|o| (o.id.clone(), indented(o)))
        .collect())
}
