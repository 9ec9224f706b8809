//! Bad input, foreign origins, unknown routes, a dead database: clear errors, no panics.

use crate::harness::{ADMIN_PASSWORD, TestApp, body};

#[tokio::test]
async fn unknown_routes_get_a_real_404_page_or_json() {
    let app = TestApp::spawn().await;
    let c = app.login("admin", ADMIN_PASSWORD).await;
    let res = c.get(app.url("/no/such/page")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = body(res).await;
    assert!(
        html.contains("页面或记录不存在") && html.contains("<html"),
        "{html}"
    );
    let res = c.get(app.url("/api/v1/nothing")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(v["error"], "not_found");
    let res = c.get(app.url("/units/NOPE")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let res = c.delete(app.url("/admin/users")).send().await.unwrap();
    assert_eq!(res.status(), 405);
}

#[tokio::test]
async fn malformed_json_is_a_422_naming_the_field() {
    let app = TestApp::spawn().await;
    let c = app.login("admin", ADMIN_PASSWORD).await;
    let res = c
        .post(app.url("/api/v1/users"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(v["error"], "validation");
    assert_eq!(v["fields"]["body"], "JSON 格式错误。");
    let res = c
        .post(app.url("/api/v1/users"))
        .json(&serde_json::json!({"username": 5, "role": "unit"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(v["fields"]["username"], "字段缺失或类型不正确。", "{v}");
    let res = c
        .post(app.url("/api/v1/users"))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422, "missing content type");
    let res = c
        .post(app.url("/api/v1/users"))
        .json(&serde_json::json!({"username": "x y", "role": "leader"}))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        v["fields"]["username"],
        "Usernames are 3–32 letters, digits or _ . -"
    );
    let res = c
        .post(app.url("/api/v1/users"))
        .json(&serde_json::json!({"username": "okname", "role": "king"}))
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        v["fields"]["role"],
        "角色无效，应为 office、unit、leader 或 evaluator。"
    );
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_413() {
    let config = qcity_web::Config {
        max_body_bytes: 1024,
        ..Default::default()
    };
    let app = TestApp::spawn_with(config).await;
    let c = app.login("admin", ADMIN_PASSWORD).await;
    let big = "x".repeat(4096);
    let res = c
        .post(app.url("/api/v1/units"))
        .json(&serde_json::json!({"code": "BIG", "name": big, "kind": "member"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(v["error"], "payload_too_large");
    let res = c
        .post(app.url("/units/NW/contact"))
        .form(&[("contact_name", big.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert!(body(res).await.contains("提交的内容过大"));
}

#[tokio::test]
async fn cross_site_posts_are_refused_and_headers_are_set() {
    let app = TestApp::spawn().await;
    let c = app.login("admin", ADMIN_PASSWORD).await;
    let res = c
        .post(app.url("/admin/users"))
        .header("sec-fetch-site", "cross-site")
        .form(&[("username", "sneaky"), ("role", "office")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = c
        .post(app.url("/admin/users"))
        .header("origin", "http://evil.example")
        .form(&[("username", "sneaky"), ("role", "office")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(
        qcity_store::users::list(&app.store, &qcity_store::Actor::system("t"))
            .await
            .unwrap()
            .iter()
            .all(|u| u.username != "sneaky")
    );
    // A same-origin browser post passes.
    let res = c
        .post(app.url("/units/NW/contact"))
        .header("sec-fetch-site", "same-origin")
        .header("origin", format!("http://{}", app.addr))
        .form(&[("contact_name", "ok")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let h = res.headers();
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-request-id"].to_str().unwrap().len(), 16);
}

const METRICS_TOKEN: &str = "metrics-token-for-tests-0001";

#[tokio::test]
async fn health_turns_red_when_the_database_is_gone() {
    let app = TestApp::spawn_with(qcity_web::Config {
        metrics_token: Some(METRICS_TOKEN.into()),
        ..Default::default()
    })
    .await;
    let c = app.client();
    assert_eq!(
        c.get(app.url("/healthz")).send().await.unwrap().status(),
        200
    );
    let metrics = c
        .get(app.url("/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap();
    let metrics = body(metrics).await;
    assert!(
        metrics.contains("qcity_http_requests_total") && metrics.contains("qcity_database_up 1"),
        "{metrics}"
    );
    app.store.pool.close().await;
    let res = c.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 503);
    // Pages needing the database answer 503, not a panic or a hang.
    let res = c
        .get(app.url("/"))
        .header("cookie", "qcity_sid=abc")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    assert!(body(res).await.contains("数据库暂不可用"));
}

#[tokio::test]
async fn the_api_is_described_by_openapi_and_an_offline_docs_page() {
    let app = TestApp::spawn().await;
    let c = app.login("admin", ADMIN_PASSWORD).await;
    let spec: serde_json::Value = c
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(spec["openapi"], "3.1.0");
    for path in [
        "/api/v1/me",
        "/api/v1/units",
        "/api/v1/units/{code}/contact",
        "/api/v1/users",
        "/api/v1/audit",
    ] {
        assert!(
            spec["paths"][path].is_object(),
            "{path} missing from the spec"
        );
    }
    let docs = body(c.get(app.url("/api/docs")).send().await.unwrap()).await;
    assert!(
        docs.contains("/api/v1/units/{code}/contact") && docs.contains("UnitDto"),
        "{docs}"
    );
    assert!(
        !docs.contains("http://") || !docs.contains("cdn"),
        "no external assets"
    );
}
