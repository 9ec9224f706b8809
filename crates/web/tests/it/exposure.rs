//! What the server shows to whom outside the pages' own checks: `/metrics` only with its
//! token, and no copy of a signed-in page or an API answer kept by a browser or proxy.

use crate::harness::{ADMIN_PASSWORD, TestApp, body};

const METRICS_TOKEN: &str = "metrics-token-for-tests-0002";

#[tokio::test]
async fn metrics_are_off_without_a_token_and_need_it_when_set() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let res = c.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 404, "no token configured: metrics are off");
    assert!(!body(res).await.contains("qcity_http_requests"));

    let app = TestApp::spawn_with(qcity_web::Config {
        metrics_token: Some(METRICS_TOKEN.into()),
        ..Default::default()
    })
    .await;
    let c = app.client();
    let res = c.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    assert!(!body(res).await.contains("qcity_http_requests"));
    let res = c
        .get(app.url("/metrics"))
        .bearer_auth("metrics-token-for-tests-0003")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "a wrong token");
    // A signed-in office session is not the metrics token either.
    let office = app.login("admin", ADMIN_PASSWORD).await;
    let res = office.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let res = c
        .get(app.url("/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(body(res).await.contains("qcity_http_requests_total"));
}

#[tokio::test]
async fn signed_in_pages_and_api_answers_are_not_stored() {
    let app = TestApp::with_plan().await;
    let c = app.login("admin", ADMIN_PASSWORD).await;
    for path in ["/", "/admin/users", "/supervision", "/no/such/page"] {
        let res = c.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.headers()["cache-control"], "no-store", "{path}");
    }
    let token = qcity_store::users::create_token(
        &app.store,
        &qcity_store::Actor::system("t"),
        "admin",
        "ci",
    )
    .await
    .unwrap();
    let api = reqwest::Client::new();
    for path in ["/api/v1/me", "/api/v1/users", "/api/v1/no-such"] {
        let res = api
            .get(app.url(path))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["cache-control"], "no-store", "{path}");
    }
    let res = api.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["cache-control"], "no-store");
    // Static assets are the same for everyone and stay cacheable.
    let res = api.get(app.url("/static/app.css")).send().await.unwrap();
    assert_eq!(res.headers()["cache-control"], "public, max-age=3600");
}
