//! What the server shows to whom outside the pages' own checks: `/metrics` only with its
//! token, no copy of a signed-in page or an API answer kept by a browser or proxy, static
//! files cached by their content-hashed names, answers compressed when asked.

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
    // Static assets are the same for everyone and stay cacheable: by the content-hashed name
    // the pages use for a year, by the plain name (pages kept from an older build) an hour.
    let page = body(api.get(app.url("/login")).send().await.unwrap()).await;
    for name in ["app.css", "app.js", "favicon.svg"] {
        let href = qcity_web::assets::href(name);
        assert!(page.contains(&format!("\"{href}\"")), "{name} in {page}");
        let res = api.get(app.url(href)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{href}");
        assert_eq!(
            res.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        let hashed = res.bytes().await.unwrap();
        let res = api
            .get(app.url(&format!("/static/{name}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["cache-control"], "public, max-age=3600");
        assert_eq!(res.bytes().await.unwrap(), hashed, "{name}: one content");
    }
    let res = api
        .get(app.url("/static/app.000000000000.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn pages_and_answers_travel_compressed_when_the_browser_asks() {
    use std::io::Read;
    let app = TestApp::with_plan().await;
    let office = app.login("admin", ADMIN_PASSWORD).await;
    for path in ["/supervision", "/api/v1/indicators", "/static/app.css"] {
        let plain = office.get(app.url(path)).send().await.unwrap();
        assert!(plain.headers().get("content-encoding").is_none(), "{path}");
        let plain = plain.bytes().await.unwrap();
        let res = office
            .get(app.url(path))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.headers()["content-encoding"], "gzip", "{path}");
        let res_vary = res
            .headers()
            .get("vary")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let packed = res.bytes().await.unwrap();
        assert!(
            packed.len() * 2 < plain.len(),
            "{path}: {} of {}",
            packed.len(),
            plain.len()
        );
        let mut unpacked = Vec::new();
        flate2::read::GzDecoder::new(packed.as_ref())
            .read_to_end(&mut unpacked)
            .unwrap();
        if path == "/supervision" {
            // A kept page: the same page, kept compressed beside it, for any cache to tell apart.
            assert_eq!(unpacked, plain.as_ref(), "{path}");
            assert_eq!(res_vary, "accept-encoding", "{path}");
        } else if path.starts_with("/static") {
            assert_eq!(unpacked, plain.as_ref(), "{path}");
        } else {
            // Pages carry per-request tokens: compare what the page says, not every byte.
            let text = String::from_utf8(unpacked).unwrap();
            assert!(
                text.contains(if path == "/supervision" {
                    "督查"
                } else {
                    "\"code\""
                }),
                "{path}"
            );
        }
    }
    // A workbook is compressed already: it goes as it is.
    let res = office
        .get(app.url("/indicators/template.xlsx"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("content-encoding").is_none());
    assert!(res.bytes().await.unwrap().starts_with(b"PK"));
}
