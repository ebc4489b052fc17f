//! Every answer of an API operation in a test against the OpenAPI
//! document: its status is one the operation documents, its media type the
//! one documented for that status, and a JSON body matches the documented
//! schema. The schemas are those utoipa generates, so the checker knows
//! the JSON Schema keywords utoipa uses (`$ref`, `allOf`, `oneOf`, `type`,
//! `properties`, `required`, `additionalProperties`, `items`,
//! `prefixItems`, `enum`, `minimum`, `maximum`) and fails on any other
//! validation keyword instead of ignoring it.

use std::sync::OnceLock;

use serde_json::Value;

fn doc() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        serde_json::to_value(yunwei_web::openapi::build()).expect("the document is JSON")
    })
}

/// Checks one answer of `method path` (a request path without its query);
/// panics with what does not match.
pub fn check_answer(
    method: &str,
    path: &str,
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) {
    if !path.starts_with("/api/v1/") {
        return;
    }
    let Some(op) = yunwei_web::openapi::find(method, path) else {
        return;
    };
    assert!(
        op.statuses.contains(&status),
        "{method} {path} answered {status}, but the OpenAPI document of {} gives only {:?}",
        op.path,
        op.statuses
    );
    let response =
        &doc()["paths"][op.path.as_str()][method.to_lowercase()]["responses"][status.to_string()];
    let Some(content) = response.get("content").and_then(Value::as_object) else {
        assert!(
            body.is_empty(),
            "{method} {path} answered {status} with a body, documented without one"
        );
        return;
    };
    let media = content_type
        .and_then(|c| c.split(';').next())
        .map(str::trim)
        .unwrap_or_default();
    let Some(documented) = content.get(media) else {
        panic!(
            "{method} {path} answered {status} as {media:?}, documented as {:?}",
            content.keys().collect::<Vec<_>>()
        );
    };
    if media != "application/json" {
        return;
    }
    let value: Value = serde_json::from_slice(body).unwrap_or_else(|e| {
        panic!(
            "{method} {path} answered {status} with invalid JSON ({e}): {}",
            String::from_utf8_lossy(body)
        )
    });
    if let Err(e) = validate(&documented["schema"], &value, "$") {
        panic!(
            "{method} {path} answered {status} with a body that does not match the documented \
             schema of {}: {e}\nbody: {value}",
            op.path
        );
    }
}

fn type_matches(ty: &str, v: &Value) -> bool {
    match ty {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64(),
        other => panic!("unknown type {other} in the document"),
    }
}

/// Whether `v` matches `schema` (JSON Schema 2020-12, the keywords utoipa
/// emits); the error names the first place that does not.
pub fn validate(schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    let schema = match schema {
        Value::Bool(true) => return Ok(()),
        Value::Bool(false) => return Err(format!("{at}: no value allowed")),
        Value::Object(m) => m,
        other => panic!("not a schema: {other}"),
    };
    for (key, rule) in schema {
        match key.as_str() {
            "$ref" => {
                let name = rule
                    .as_str()
                    .and_then(|r| r.strip_prefix("#/components/schemas/"))
                    .unwrap_or_else(|| panic!("unexpected reference {rule}"));
                let target = &doc()["components"]["schemas"][name];
                assert!(!target.is_null(), "{rule} does not resolve");
                validate(target, v, at)?;
            }
            "allOf" => {
                for s in rule.as_array().expect("allOf list") {
                    validate(s, v, at)?;
                }
            }
            "oneOf" | "anyOf" => {
                let matching = rule
                    .as_array()
                    .expect("a list of schemas")
                    .iter()
                    .filter(|s| validate(s, v, at).is_ok())
                    .count();
                let ok = if key == "oneOf" {
                    matching == 1
                } else {
                    matching >= 1
                };
                if !ok {
                    return Err(format!("{at}: {matching} schemas of {key} match {v}"));
                }
            }
            "type" => {
                let ok = match rule {
                    Value::String(t) => type_matches(t, v),
                    Value::Array(ts) => ts.iter().any(|t| type_matches(t.as_str().unwrap(), v)),
                    other => panic!("bad type {other}"),
                };
                if !ok {
                    return Err(format!("{at}: {v} is not of type {rule}"));
                }
            }
            "enum" => {
                if !rule.as_array().expect("enum list").contains(v) {
                    return Err(format!("{at}: {v} not in {rule}"));
                }
            }
            "required" => {
                if let Some(obj) = v.as_object() {
                    for name in rule.as_array().expect("required list") {
                        let name = name.as_str().unwrap();
                        if !obj.contains_key(name) {
                            return Err(format!("{at}: required property {name} missing"));
                        }
                    }
                }
            }
            "properties" => {
                if let Some(obj) = v.as_object() {
                    for (name, s) in rule.as_object().expect("properties") {
                        if let Some(x) = obj.get(name) {
                            validate(s, x, &format!("{at}.{name}"))?;
                        }
                    }
                }
            }
            "additionalProperties" => {
                if let Some(obj) = v.as_object() {
                    let known = schema.get("properties").and_then(Value::as_object);
                    for (name, x) in obj {
                        if known.is_some_and(|k| k.contains_key(name)) {
                            continue;
                        }
                        validate(rule, x, &format!("{at}.{name}"))?;
                    }
                }
            }
            "propertyNames" => {
                if let Some(obj) = v.as_object() {
                    for name in obj.keys() {
                        validate(rule, &Value::String(name.clone()), &format!("{at}[{name}]"))?;
                    }
                }
            }
            "items" => {
                if let Some(list) = v.as_array() {
                    let skip = schema
                        .get("prefixItems")
                        .and_then(Value::as_array)
                        .map_or(0, Vec::len);
                    for (i, x) in list.iter().enumerate().skip(skip) {
                        validate(rule, x, &format!("{at}[{i}]"))?;
                    }
                }
            }
            "prefixItems" => {
                if let Some(list) = v.as_array() {
                    for (i, (s, x)) in rule
                        .as_array()
                        .expect("prefixItems list")
                        .iter()
                        .zip(list)
                        .enumerate()
                    {
                        validate(s, x, &format!("{at}[{i}]"))?;
                    }
                }
            }
            "minimum" | "maximum" => {
                if let (Some(x), Some(bound)) = (v.as_f64(), rule.as_f64()) {
                    let ok = if key == "minimum" {
                        x >= bound
                    } else {
                        x <= bound
                    };
                    if !ok {
                        return Err(format!("{at}: {v} outside {key} {bound}"));
                    }
                }
            }
            // Annotations, and keywords that only shape generated input.
            "description" | "title" | "format" | "default" | "example" | "examples"
            | "uniqueItems" | "contentMediaType" | "contentEncoding" | "deprecated" => {}
            other => panic!("the checker does not know the keyword {other}"),
        }
    }
    Ok(())
}
