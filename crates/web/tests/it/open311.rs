//! Open311 GeoReport v2 against the complaints registry, over HTTP: discovery, services and
//! their definitions, posts with and without a key, the standard's errors with nothing saved,
//! the list's filters, one request by number, each district its own, both formats (the XML
//! parsed by a strict parser), and no personal data in any answer.

use crate::harness::{PASSWORD, TestApp, create_user};
use chrono::NaiveDate;
use qcity_domain::complaints::ticket::Event;
use qcity_domain::role::Role;
use qcity_store::complaints::{self, NewTicket};
use qcity_store::{Actor, plan, users};
use serde_json::Value;

const TODAY: &str = "2026-03-20";

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

async fn app() -> TestApp {
    TestApp::with_plan_and(qcity_web::Config {
        today: Some(day(TODAY)),
        ..Default::default()
    })
    .await
}

/// An account of `role` and an API token of it.
async fn key(app: &TestApp, username: &str, role: Role, unit: Option<&str>) -> String {
    create_user(&app.store, username, role, unit, PASSWORD).await;
    users::create_token(&app.store, &Actor::system("t"), username, "open311")
        .await
        .unwrap()
}

async fn count(app: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&app.store.pool)
        .await
        .unwrap()
}

struct Answer {
    status: u16,
    content_type: String,
    body: String,
}

impl Answer {
    async fn of(res: reqwest::Response) -> Answer {
        Answer {
            status: res.status().as_u16(),
            content_type: res
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default(),
            body: res.text().await.unwrap(),
        }
    }

    fn json(&self) -> Value {
        assert_eq!(
            self.content_type, "application/json; charset=utf-8",
            "{}",
            self.body
        );
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// The XML document, parsed strictly (a malformed answer fails here).
    fn xml(&self) -> roxmltree::Document<'_> {
        assert_eq!(
            self.content_type, "text/xml; charset=utf-8",
            "{}",
            self.body
        );
        assert!(
            self.body
                .starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>")
        );
        roxmltree::Document::parse(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// The standard's error codes of a JSON error body.
    fn error_codes(&self) -> Vec<i64> {
        self.json()
            .as_array()
            .unwrap_or_else(|| panic!("not an error list: {}", self.body))
            .iter()
            .map(|e| {
                assert!(e["description"].as_str().is_some_and(|d| !d.is_empty()));
                e["code"].as_i64().unwrap()
            })
            .collect()
    }
}

async fn get(app: &TestApp, path: &str) -> Answer {
    Answer::of(reqwest::get(app.url(path)).await.unwrap()).await
}

async fn get_en(app: &TestApp, path: &str) -> Answer {
    let res = reqwest::Client::new()
        .get(app.url(path))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    Answer::of(res).await
}

async fn post(app: &TestApp, path: &str, form: &[(&str, &str)]) -> Answer {
    let res = reqwest::Client::new()
        .post(app.url(path))
        .form(form)
        .send()
        .await
        .unwrap();
    Answer::of(res).await
}

/// Child elements of `node` named `name`.
fn children<'a, 'i>(
    node: roxmltree::Node<'a, 'i>,
    name: &'a str,
) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> + 'a {
    node.children().filter(move |n| n.has_tag_name(name))
}

fn child_text<'a>(node: roxmltree::Node<'a, '_>, name: &str) -> Option<&'a str> {
    node.children()
        .find(|n| n.has_tag_name(name))
        .map(|n| n.text().unwrap_or(""))
}

fn numbers(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|r| r["service_request_id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn discovery_and_services_answer_in_both_formats() {
    let app = app().await;
    let d = get(&app, "/open311/v2/discovery.json").await;
    assert_eq!(d.status, 200);
    let d = d.json();
    let endpoint = &d["endpoints"][0];
    assert_eq!(
        endpoint["url"].as_str().unwrap(),
        app.url("/open311/v2"),
        "{d}"
    );
    assert_eq!(
        endpoint["specification"],
        "http://wiki.open311.org/GeoReport_v2"
    );
    assert_eq!(
        endpoint["formats"],
        serde_json::json!(["text/xml", "application/json"])
    );
    let x = get(&app, "/open311/v2/discovery.xml").await;
    let doc = x.xml();
    let root = doc.root_element();
    assert!(root.has_tag_name("discovery"));
    let endpoint = children(root, "endpoints")
        .next()
        .and_then(|e| children(e, "endpoint").next())
        .unwrap();
    assert_eq!(child_text(endpoint, "type"), Some("production"));
    let formats: Vec<&str> = children(endpoint, "formats")
        .flat_map(|f| children(f, "format"))
        .filter_map(|f| f.text())
        .collect();
    assert_eq!(formats, ["text/xml", "application/json"]);

    // The services are the district's categories, named in the caller's language.
    let s = get(&app, "/open311/v2/services.json").await;
    assert_eq!(s.status, 200);
    let s = s.json();
    let list = s.as_array().unwrap();
    assert_eq!(list.len(), 8);
    assert_eq!(list[0]["service_code"], "food");
    assert_eq!(list[0]["service_name"], "食品安全");
    assert_eq!(list[0]["metadata"], false);
    assert_eq!(list[0]["type"], "realtime");
    assert_eq!(list[0]["group"], "质量投诉");
    let en = get_en(&app, "/open311/v2/services.json").await.json();
    assert_eq!(en[1]["service_name"], "Special equipment");
    let x = get(&app, "/open311/v2/services.xml").await;
    let doc = x.xml();
    assert!(doc.root_element().has_tag_name("services"));
    let services: Vec<_> = children(doc.root_element(), "service").collect();
    assert_eq!(services.len(), 8);
    assert_eq!(child_text(services[0], "service_code"), Some("food"));
    assert_eq!(child_text(services[0], "service_name"), Some("食品安全"));
    assert_eq!(child_text(services[0], "metadata"), Some("false"));

    // A service's definition: no attributes asked.
    let def = get(&app, "/open311/v2/services/metering.json").await;
    assert_eq!(def.status, 200);
    assert_eq!(
        def.json(),
        serde_json::json!({"service_code": "metering", "attributes": []})
    );
    let def = get(&app, "/open311/v2/services/metering.xml").await;
    let doc = def.xml();
    assert!(doc.root_element().has_tag_name("service_definition"));
    assert_eq!(
        child_text(doc.root_element(), "service_code"),
        Some("metering")
    );
    assert_eq!(children(doc.root_element(), "attributes").count(), 1);

    // Unknown services and documents: the standard's 404, in the asked format.
    let missing = get(&app, "/open311/v2/services/astrology.json").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.error_codes(), [404]);
    let missing = get(&app, "/open311/v2/services/astrology.xml").await;
    assert_eq!(missing.status, 404);
    let doc = missing.xml();
    assert!(doc.root_element().has_tag_name("errors"));
    let error = children(doc.root_element(), "error").next().unwrap();
    assert_eq!(child_text(error, "code"), Some("404"));
    assert!(child_text(error, "description").is_some_and(|d| d.contains("astrology")));
    let no_suffix = get(&app, "/open311/v2/services/food").await;
    assert_eq!(no_suffix.status, 404);
    assert_eq!(no_suffix.error_codes(), [404]);
}

#[tokio::test]
async fn a_post_needs_a_key_and_a_refused_post_leaves_nothing_behind() {
    let app = app().await;
    let key = key(&app, "fixmystreet", Role::Evaluator, None).await;
    let good = [
        ("service_code", "metering"),
        ("lat", "34.8"),
        ("long", "113.6"),
        ("description", "菜市场的秤缺斤短两"),
    ];
    let path = "/open311/v2/requests.json";

    // No key, a wrong key, a key of a revoked token: 403, the standard's body.
    let none = post(&app, path, &good).await;
    assert_eq!(none.status, 403);
    assert_eq!(none.error_codes(), [403]);
    let mut wrong = good.to_vec();
    wrong.push(("api_key", "qct_not-a-token"));
    let res = post(&app, path, &wrong).await;
    assert_eq!(res.status, 403);
    assert_eq!(res.error_codes(), [403]);
    let xml = post(&app, "/open311/v2/requests.xml", &wrong).await;
    assert_eq!(xml.status, 403);
    assert!(xml.xml().root_element().has_tag_name("errors"));
    // A signed-in session is no key: the API never reads cookies.
    let office = app.login("admin", crate::harness::ADMIN_PASSWORD).await;
    let res = Answer::of(office.post(app.url(path)).form(&good).send().await.unwrap()).await;
    assert_eq!(res.status, 403, "{}", res.body);

    let with_key = |extra: &[(&'static str, &'static str)]| {
        let mut f = vec![("api_key", key.as_str())];
        f.extend_from_slice(extra);
        f
    };
    let long = "好".repeat(4001);
    let cases: Vec<(Vec<(&str, &str)>, u16)> = vec![
        (
            with_key(&[("service_code", "astrology"), ("lat", "1"), ("long", "2")]),
            404,
        ),
        (with_key(&[("lat", "34.8"), ("long", "113.6")]), 400),
        (
            with_key(&[("service_code", "food"), ("lat", "91"), ("long", "113.6")]),
            400,
        ),
        (
            with_key(&[("service_code", "food"), ("lat", "abc"), ("long", "113.6")]),
            400,
        ),
        (with_key(&[("service_code", "food"), ("lat", "34.8")]), 400),
        (
            with_key(&[("service_code", "food"), ("description", "没有位置")]),
            400,
        ),
        (
            with_key(&[
                ("service_code", "food"),
                ("address_string", "天河路1号"),
                ("description", "<b>加粗</b>"),
            ]),
            400,
        ),
        (
            with_key(&[
                ("service_code", "food"),
                ("address_string", "天河路1号"),
                ("email", "nobody"),
            ]),
            400,
        ),
    ];
    for (form, status) in &cases {
        let res = post(&app, path, form).await;
        assert_eq!(res.status, *status, "{form:?}: {}", res.body);
        assert!(res.error_codes().contains(&i64::from(*status)), "{form:?}");
    }
    let mut too_long = with_key(&[("service_code", "food"), ("address_string", "天河路1号")]);
    too_long.push(("description", long.as_str()));
    let res = post(&app, path, &too_long).await;
    assert_eq!(res.status, 400);
    assert!(res.body.contains("4000"), "{}", res.body);
    // Every problem at once, in the caller's language.
    let res = Answer::of(
        reqwest::Client::new()
            .post(app.url(path))
            .header("accept-language", "en")
            .form(&with_key(&[("lat", "91"), ("long", "200"), ("email", "x")]))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(res.status, 400);
    let errors = res.json();
    let text = errors.to_string();
    assert_eq!(errors.as_array().unwrap().len(), 4, "{text}");
    assert!(
        text.contains("service_code was not provided") && text.contains("lat must be"),
        "{text}"
    );
    // Not a form, and a body over the limit.
    let res = Answer::of(
        reqwest::Client::new()
            .post(app.url(path))
            .json(&serde_json::json!({"api_key": key, "service_code": "food"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(res.status, 400);
    assert_eq!(res.error_codes(), [400]);
    let huge = "x".repeat(3 * 1024 * 1024);
    let res = reqwest::Client::new()
        .post(app.url(path))
        .form(&[
            ("api_key", key.as_str()),
            ("service_code", "food"),
            ("description", huge.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);

    // Nothing of any refused post was saved.
    for table in [
        "complaint_tickets",
        "complaint_events",
        "complaint_ticket_counts",
    ] {
        assert_eq!(count(&app, table).await, 0, "{table}");
    }
    let audited: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'complaint.intake'")
            .fetch_one(&app.store.pool)
            .await
            .unwrap();
    assert_eq!(audited, 0);

    // The good post, and once more with the key as a Bearer token and in XML.
    let mut form = good.to_vec();
    form.push(("api_key", key.as_str()));
    let res = post(&app, path, &form).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let got = res.json();
    assert_eq!(got[0]["service_request_id"], "2026-000001");
    assert!(
        got[0]["service_notice"]
            .as_str()
            .unwrap()
            .contains("2026-000001")
    );
    assert!(
        got[0].get("token").is_none(),
        "the id or the token, never both"
    );
    let res = Answer::of(
        reqwest::Client::new()
            .post(app.url("/open311/v2/requests.xml"))
            .bearer_auth(&key)
            .form(&good)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let doc = res.xml();
    assert!(doc.root_element().has_tag_name("service_requests"));
    let request = children(doc.root_element(), "request").next().unwrap();
    assert_eq!(
        child_text(request, "service_request_id"),
        Some("2026-000002")
    );
    assert_eq!(count(&app, "complaint_tickets").await, 2);
    let (channel, by): (String, String) = sqlx::query_as(
        "SELECT t.channel, a.actor FROM complaint_tickets t, audit_log a \
         WHERE t.number = '2026-000001' AND a.action = 'complaint.intake' AND a.target_id = t.number",
    )
    .fetch_one(&app.store.pool)
    .await
    .unwrap();
    assert_eq!(
        (channel.as_str(), by.as_str()),
        ("open311", "fixmystreet"),
        "filed through Open311 by the key's account"
    );
    // A cross-site post with the key goes through: the key, not a cookie, is the credential.
    let res = Answer::of(
        reqwest::Client::new()
            .post(app.url(path))
            .header("origin", "https://elsewhere.example")
            .header("sec-fetch-site", "cross-site")
            .form(&form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.body);
}

#[tokio::test]
async fn a_posted_request_reads_back_without_personal_data() {
    let app = app().await;
    let key = key(&app, "integrator", Role::Unit, Some("ZJFJ")).await;
    let res = post(
        &app,
        "/open311/v2/requests.json",
        &[
            ("api_key", key.as_str()),
            ("service_code", "special_equipment"),
            ("lat", "34.81"),
            ("long", "113.62"),
            ("address_string", "惠济区天河路1号"),
            (
                "description",
                "小区电梯经常困人，联系人李四，电话13900001111，lisi@example.com",
            ),
            ("first_name", "三"),
            ("last_name", "张"),
            ("phone", "13812345678"),
            ("email", "zhang.san@example.com"),
        ],
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let number = res.json()[0]["service_request_id"]
        .as_str()
        .unwrap()
        .to_string();
    // The contact is kept for the office, not shown to the public.
    let (name, phone): (String, String) = sqlx::query_as(
        "SELECT contact_name, contact_phone FROM complaint_tickets WHERE number = $1",
    )
    .bind(&number)
    .fetch_one(&app.store.pool)
    .await
    .unwrap();
    assert_eq!((name.as_str(), phone.as_str()), ("张三", "13812345678"));
    let unit_name: String = sqlx::query_scalar("SELECT name FROM org_units WHERE code = 'ZJFJ'")
        .fetch_one(&app.store.pool)
        .await
        .unwrap();

    let one = get(&app, &format!("/open311/v2/requests/{number}.json")).await;
    assert_eq!(one.status, 200);
    let r = one.json();
    assert_eq!(r.as_array().unwrap().len(), 1, "one request, still a list");
    let r = &r[0];
    assert_eq!(r["service_request_id"], number.as_str());
    assert_eq!(r["status"], "open");
    assert_eq!(r["status_notes"], "已派单");
    assert_eq!(r["service_code"], "special_equipment");
    assert_eq!(r["service_name"], "特种设备");
    assert_eq!(r["agency_responsible"], unit_name.as_str());
    assert_eq!(r["address"], "惠济区天河路1号");
    assert_eq!(r["lat"], 34.81);
    assert_eq!(r["long"], 113.62);
    let requested = r["requested_datetime"].as_str().unwrap();
    assert!(
        requested.starts_with("2026-03-20T") && requested.ends_with("+08:00"),
        "{requested}"
    );
    assert!(chrono::DateTime::parse_from_rfc3339(requested).is_ok());
    // Special equipment closes within 10 working days of the dispatch (2026-03-20, a Friday).
    assert_eq!(r["expected_datetime"], "2026-04-03T23:59:59+08:00");
    let en = get_en(&app, &format!("/open311/v2/requests/{number}.json"))
        .await
        .json();
    assert_eq!(en[0]["status_notes"], "Dispatched");

    let x = get(&app, &format!("/open311/v2/requests/{number}.xml")).await;
    assert_eq!(x.status, 200);
    let doc = x.xml();
    assert!(doc.root_element().has_tag_name("service_requests"));
    let requests: Vec<_> = children(doc.root_element(), "request").collect();
    assert_eq!(requests.len(), 1);
    assert_eq!(child_text(requests[0], "status"), Some("open"));
    assert_eq!(child_text(requests[0], "long"), Some("113.62"));
    assert_eq!(child_text(requests[0], "service_name"), Some("特种设备"));

    // An unknown number: the standard's 404.
    let missing = get(&app, "/open311/v2/requests/2099-000001.json").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.error_codes(), [404]);
    let missing = get(&app, "/open311/v2/requests/2099-000001.xml").await;
    assert_eq!(missing.status, 404);
    missing.xml();

    // No answer carries the contact or the complaint's text.
    for path in [
        format!("/open311/v2/requests/{number}.json"),
        format!("/open311/v2/requests/{number}.xml"),
        "/open311/v2/requests.json".to_string(),
        "/open311/v2/requests.xml".to_string(),
        format!("/open311/v2/requests.json?service_request_id={number}"),
    ] {
        let a = get(&app, &path).await;
        assert_eq!(a.status, 200, "{path}");
        assert!(a.body.contains(&number), "{path}: {}", a.body);
        for personal in [
            "张三",
            "13812345678",
            "zhang.san",
            "李四",
            "13900001111",
            "lisi@",
            "电梯经常困人",
        ] {
            assert!(
                !a.body.contains(personal),
                "{path} shows {personal}: {}",
                a.body
            );
        }
    }
}

/// Five tickets of the home district, and one of last year.
struct Seeded {
    food: String,
    metering: String,
    merged: String,
    triage: String,
    old: String,
}

async fn seed(app: &TestApp) -> Seeded {
    let public = Actor::anonymous("127.0.0.1", "t");
    let office = Actor::system("office");
    let file = |category: Option<&str>, text: &str| NewTicket {
        category: category.map(str::to_string),
        text: text.into(),
        address: "惠济区".into(),
        contact_name: "王五".into(),
        contact_phone: "13700002222".into(),
        ..Default::default()
    };
    let intake = |new: NewTicket, on: &'static str| {
        let store = app.store.clone();
        let public = public.clone();
        async move {
            complaints::intake(&store, &public, &new, day(on))
                .await
                .unwrap()
        }
    };
    let old = intake(file(Some("metering"), "电子秤不准"), "2025-10-01").await;
    let food = intake(file(Some("food"), "饭店的菜不新鲜"), "2026-03-02").await;
    let metering = intake(file(Some("metering"), "加油机计量不准"), "2026-02-10").await;
    let merged = intake(
        file(Some("food"), "饭店的菜不新鲜，又去了一次"),
        "2026-03-05",
    )
    .await;
    complaints::act(
        &app.store,
        &office,
        merged.id,
        &Event::Merge { into: food.id },
        day("2026-03-05"),
    )
    .await
    .unwrap();
    let triage = intake(file(None, "投诉商家"), "2026-03-10").await;
    assert!(triage.category.is_none(), "a vague text waits for triage");
    Seeded {
        food: food.number,
        metering: metering.number,
        merged: merged.number,
        triage: triage.number,
        old: old.number,
    }
}

#[tokio::test]
async fn the_list_filters_by_status_service_dates_and_ids() {
    let app = app().await;
    let s = seed(&app).await;
    let list = |query: &'static str| {
        let app = &app;
        async move {
            let a = get(app, &format!("/open311/v2/requests.json{query}")).await;
            assert_eq!(a.status, 200, "{query}: {}", a.body);
            numbers(&a.json())
        }
    };
    // The last 90 days by default, newest first.
    assert_eq!(
        list("").await,
        [
            s.triage.as_str(),
            s.merged.as_str(),
            s.food.as_str(),
            s.metering.as_str()
        ]
    );
    assert_eq!(list("?status=closed").await, [s.merged.as_str()]);
    assert_eq!(
        list("?status=open").await,
        [s.triage.as_str(), s.food.as_str(), s.metering.as_str()]
    );
    assert_eq!(list("?status=open,closed").await.len(), 4);
    assert_eq!(
        list("?service_code=food").await,
        [s.merged.as_str(), s.food.as_str()]
    );
    assert_eq!(
        list("?service_code=food,metering").await,
        [s.merged.as_str(), s.food.as_str(), s.metering.as_str()]
    );
    assert_eq!(
        list("?start_date=2026-03-01T00:00:00%2B08:00&end_date=2026-03-06T00:00:00%2B08:00").await,
        [s.merged.as_str(), s.food.as_str()]
    );
    assert_eq!(
        list("?start_date=2025-09-01T00:00:00Z&end_date=2025-10-31T00:00:00Z").await,
        [s.old.as_str()]
    );
    // A list of numbers overrides every other filter.
    let ids = format!(
        "?service_request_id={},{}&status=closed&service_code=food",
        s.old, s.food
    );
    let a = get(&app, &format!("/open311/v2/requests.json{ids}")).await;
    assert_eq!(numbers(&a.json()), [s.food.as_str(), s.old.as_str()]);

    // Details of what the list says.
    let all = get(&app, "/open311/v2/requests.json").await.json();
    let by_number = |n: &str| {
        all.as_array()
            .unwrap()
            .iter()
            .find(|r| r["service_request_id"] == n)
            .unwrap()
            .clone()
    };
    let merged = by_number(&s.merged);
    assert_eq!(
        (merged["status"].as_str(), merged["status_notes"].as_str()),
        (Some("closed"), Some("已并单"))
    );
    assert_eq!(
        merged["expected_datetime"],
        Value::Null,
        "nothing more expected"
    );
    assert!(
        merged["updated_datetime"]
            .as_str()
            .unwrap()
            .starts_with("2026-03-05T")
    );
    let triage = by_number(&s.triage);
    assert_eq!(triage["status_notes"], "已受理");
    assert_eq!(triage["service_code"], Value::Null);
    assert_eq!(triage["agency_responsible"], Value::Null);
    assert_eq!(triage["lat"], Value::Null);
    let food = by_number(&s.food);
    assert_eq!(food["service_name"], "食品安全");
    assert!(food["expected_datetime"].as_str().is_some());
    assert!(!all.to_string().contains("王五") && !all.to_string().contains("13700002222"));

    // The same in XML.
    let x = get(&app, "/open311/v2/requests.xml?status=closed").await;
    let doc = x.xml();
    let requests: Vec<_> = children(doc.root_element(), "request").collect();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        child_text(requests[0], "service_request_id"),
        Some(s.merged.as_str())
    );
    assert_eq!(child_text(requests[0], "status"), Some("closed"));
    assert_eq!(child_text(requests[0], "expected_datetime"), Some(""));

    // Bad filters: 400 with the standard's body.
    for query in [
        "?start_date=2025-01-01T00:00:00Z&end_date=2025-06-01T00:00:00Z",
        "?start_date=2026-03-01",
        "?start_date=2026-03-10T00:00:00Z&end_date=2026-03-01T00:00:00Z",
        "?status=pending",
    ] {
        let a = get(&app, &format!("/open311/v2/requests.json{query}")).await;
        assert_eq!(a.status, 400, "{query}: {}", a.body);
        assert_eq!(a.error_codes(), [400], "{query}");
        let a = get(&app, &format!("/open311/v2/requests.xml{query}")).await;
        assert_eq!(a.status, 400, "{query}");
        assert!(a.xml().root_element().has_tag_name("errors"));
    }
}

#[tokio::test]
async fn each_district_reads_and_files_its_own() {
    let app = app().await;
    let s = seed(&app).await;
    plan::add_district(
        &app.store,
        &Actor::system("t"),
        &crate::districts::jinshui(),
        day(TODAY),
    )
    .await
    .unwrap();
    let js_key = key(&app, "js.integrator", Role::Unit, Some("JSZJFJ")).await;
    let hj_key = key(&app, "hj.integrator", Role::Evaluator, None).await;
    let form = |key: &str| {
        vec![
            ("api_key", key.to_string()),
            ("service_code", "food".to_string()),
            ("address_string", "金水路1号".to_string()),
        ]
    };
    let res = Answer::of(
        reqwest::Client::new()
            .post(app.url("/open311/v2/requests.json"))
            .form(&form(&js_key))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.body);
    // Jinshui numbers its own tickets.
    assert_eq!(res.json()[0]["service_request_id"], "2026-000001");
    let js = crate::districts::unit_id(&app, "JINSHUI").await;
    let owner: i64 = sqlx::query_scalar(
        "SELECT owner_id FROM complaint_tickets WHERE number = '2026-000001' AND channel = 'open311'",
    )
    .fetch_one(&app.store.pool)
    .await
    .unwrap();
    assert_eq!(owner, js, "filed in the key's district");

    // Anonymous readers read the home district; a key or a jurisdiction_id picks another.
    let home = numbers(&get(&app, "/open311/v2/requests.json").await.json());
    assert!(home.contains(&s.food) && home.len() == 4, "{home:?}");
    let by_key = numbers(
        &get(&app, &format!("/open311/v2/requests.json?api_key={js_key}"))
            .await
            .json(),
    );
    assert_eq!(by_key, ["2026-000001"]);
    let by_jurisdiction = get(&app, "/open311/v2/requests.json?jurisdiction_id=JINSHUI").await;
    assert_eq!(numbers(&by_jurisdiction.json()), ["2026-000001"]);
    let one = get(
        &app,
        "/open311/v2/requests/2026-000001.json?jurisdiction_id=JINSHUI",
    )
    .await
    .json();
    assert_eq!(one[0]["address"], "金水路1号");
    let unknown = get(&app, "/open311/v2/requests.json?jurisdiction_id=NOWHERE").await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.error_codes(), [404]);
    let services = get(&app, "/open311/v2/services.json?jurisdiction_id=JINSHUI").await;
    assert_eq!(services.json().as_array().unwrap().len(), 8);
    // A key files in its own district only.
    let mut elsewhere = form(&js_key);
    elsewhere.push(("jurisdiction_id", "HUIJI".to_string()));
    let res = Answer::of(
        reqwest::Client::new()
            .post(app.url("/open311/v2/requests.json"))
            .form(&elsewhere)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(res.status, 403, "{}", res.body);
    let mut home_named = form(&hj_key);
    home_named.push(("jurisdiction_id", "HUIJI".to_string()));
    let res = Answer::of(
        reqwest::Client::new()
            .post(app.url("/open311/v2/requests.json"))
            .form(&home_named)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.json()[0]["service_request_id"], "2026-000005");
    assert_eq!(count(&app, "complaint_tickets").await, 7);
}
