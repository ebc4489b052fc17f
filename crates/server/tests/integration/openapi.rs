//! The OpenAPI document (`crates/web/src/openapi.rs`) against the code:
//! each operation's success status follows from its handler's return type,
//! path parameters have schemas, errors share one schema. (The test kit
//! checks every status the other tests receive against the document.)

use yunwei_web::openapi::{build, find, Reply, OPERATIONS};

/// The API sources: `api.rs` and its modules, with their module prefix.
const SOURCES: &[(&str, &str)] = &[
    ("", include_str!("../../../web/src/api.rs")),
    (
        "archives::",
        include_str!("../../../web/src/api/archives.rs"),
    ),
    (
        "calendar::",
        include_str!("../../../web/src/api/calendar.rs"),
    ),
    ("cmdb::", include_str!("../../../web/src/api/cmdb.rs")),
    (
        "controls::",
        include_str!("../../../web/src/api/controls.rs"),
    ),
    (
        "inspections::",
        include_str!("../../../web/src/api/inspections.rs"),
    ),
    (
        "knowledge::",
        include_str!("../../../web/src/api/knowledge.rs"),
    ),
    (
        "registers::",
        include_str!("../../../web/src/api/registers.rs"),
    ),
    ("reports::", include_str!("../../../web/src/api/reports.rs")),
    ("tickets::", include_str!("../../../web/src/api/tickets.rs")),
];

/// The return type of the handler `name` (`module::fn` or `fn`).
fn return_type(name: &str) -> String {
    if name == "crate::openapi::document" {
        return "Json<OpenApi>".into();
    }
    for (prefix, src) in SOURCES {
        let Some(f) = name.strip_prefix(prefix) else {
            continue;
        };
        if f.contains("::") {
            continue;
        }
        let Some(at) = src.find(&format!("async fn {f}(")) else {
            continue;
        };
        let rest = &src[at..];
        let sig = &rest[..rest.find('{').expect("handler body")];
        let ret = sig.rsplit("->").next().expect("return type");
        return ret.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    panic!("handler {name} not found");
}

/// (method, path, handler) of every route in `api::routes`.
fn routes() -> Vec<(&'static str, String, String)> {
    let src = SOURCES[0].1;
    let start = src.find("pub fn routes()").expect("routes()");
    let body = &src[start..];
    let body = &body[..body.find("\n}\n").expect("end of routes()")];
    let mut out = Vec::new();
    for part in body.split(".route(").skip(1) {
        let path = part.split('"').nth(1).expect("route path").to_string();
        for (call, method) in [
            ("get(", "GET"),
            ("post(", "POST"),
            ("put(", "PUT"),
            ("delete(", "DELETE"),
        ] {
            for (i, _) in part.match_indices(call) {
                let before = part[..i].chars().last();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                let args = &part[i + call.len()..];
                let handler = &args[..args.find(')').expect("handler")];
                out.push((method, path.clone(), handler.to_string()));
            }
        }
    }
    out
}

/// The success status of each operation is what its handler returns:
/// `(StatusCode, Json)` is a create (201), a bare `StatusCode` is 204,
/// a `Response` is a file or workbook, JSON otherwise 200.
#[test]
fn documented_replies_follow_the_handlers() {
    let routes = routes();
    assert!(routes.len() > 90, "{} routes", routes.len());
    for (method, path, handler) in &routes {
        let op = OPERATIONS
            .iter()
            .find(|o| o.method_name() == *method && o.path == path)
            .unwrap_or_else(|| panic!("{method} {path} missing from OPERATIONS"));
        let ret = return_type(handler);
        let expected = if ret.contains("(StatusCode, Json<Value>)") {
            vec![Reply::Created]
        } else if ret == "ApiResult<StatusCode>" {
            vec![Reply::NoContent]
        } else if ret.contains("Response") {
            vec![Reply::Xlsx, Reply::File]
        } else if ret == "ApiResult" || ret == "Json<OpenApi>" {
            vec![Reply::Json]
        } else {
            panic!("{handler}: unknown return type {ret}");
        };
        assert!(
            expected.contains(&op.reply),
            "{method} {path}: handler {handler} returns {ret}, documented {:?}",
            op.reply
        );
    }
    assert_eq!(routes.len(), OPERATIONS.len(), "every operation is routed");
}

#[test]
fn every_path_parameter_has_a_schema_and_errors_share_one_schema() {
    let doc = serde_json::to_value(build()).unwrap();
    let mut ops = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            ops += 1;
            for p in op["parameters"].as_array().into_iter().flatten() {
                assert!(p["schema"]["type"].is_string(), "{method} {path}: {p}");
                if p["in"] == "path" {
                    assert_eq!(p["schema"]["type"], "string", "{method} {path}: {p}");
                    assert_eq!(p["required"], true, "{method} {path}: {p}");
                }
            }
            let responses = op["responses"].as_object().unwrap();
            for ok in ["200", "201"] {
                // Any JSON: objects and lists.
                if let Some(schema) = responses
                    .get(ok)
                    .and_then(|r| r["content"].get("application/json"))
                {
                    assert_eq!(schema["schema"], serde_json::json!({}), "{method} {path}");
                }
            }
            assert!(responses.contains_key("500"), "{method} {path}");
            for (status, r) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    assert_eq!(
                        r["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/Error"
                    );
                }
            }
        }
    }
    assert_eq!(ops, OPERATIONS.len());
    assert_eq!(
        doc["components"]["schemas"]["Error"]["required"],
        serde_json::json!(["code", "message", "request_id"])
    );
}

#[test]
fn find_prefers_literal_segments() {
    let op = find("GET", "/api/v1/registers/ndas/export.xlsx").unwrap();
    assert_eq!(op.path, "/api/v1/registers/{register}/export.xlsx");
    let op = find("GET", "/api/v1/registers/ndas/abc").unwrap();
    assert_eq!(op.path, "/api/v1/registers/{register}/{id}");
    assert_eq!(find("POST", "/api/v1/orgs").unwrap().success(), 201);
    assert_eq!(
        find("POST", "/api/v1/tickets/x/comments")
            .unwrap()
            .success(),
        204
    );
    assert!(find("PATCH", "/api/v1/orgs").is_none());
}
