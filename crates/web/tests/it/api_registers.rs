//! The API does what the pages do (issue 14, defect 9): approving and returning indicator
//! values, writing enterprises, licences, credit events and listings, reading credit files and
//! the blacklist, recording sampling results and their follow-up. Each operation is checked for
//! its status codes, for refusing whoever the page refuses, and for giving the page's result.
//! Run on both databases.

use crate::harness::{TestApp, body};
use qcity_domain::role::Role;
use qcity_store::Actor;
use serde_json::{Value, json};

const HUAWEI: &str = "914403001922038216";
const BAIDU: &str = "91110000802100433B";

async fn send(req: reqwest::RequestBuilder) -> (u16, Value) {
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn enterprise(code: &str, name: &str) -> Value {
    json!({"code": code, "name": name, "town": "新城街道", "size": "small", "file_opened": "2014-03-01"})
}

#[tokio::test]
async fn indicator_values_are_approved_and_returned_through_the_api_as_on_the_page() {
    let app = TestApp::with_plan().await;
    let office = app.login("admin", crate::harness::ADMIN_PASSWORD).await;
    let unit = app.user("hbj.staff", Role::Unit, Some("ZJFJ")).await;
    let plan = qcity_domain::plan::default_plan();
    let submit = |value: f64| {
        let store = app.store.clone();
        let plan = plan.clone();
        async move {
            qcity_store::indicators::submit(
                &store,
                &Actor::system("t"),
                &plan,
                qcity_store::indicators::NewValue {
                    indicator: "PRD-1".into(),
                    measure: String::new(),
                    year: 2014,
                    value: Some(value),
                    judged: None,
                    comment: "更正口径".into(),
                    source: "manual".into(),
                },
                &Default::default(),
            )
            .await
            .unwrap()
        }
    };
    let first = submit(31.0).await;

    // The review queue and the decision are the office's.
    let (status, pending) = send(office.get(app.url("/api/v1/indicator-values/pending"))).await;
    assert_eq!(status, 200);
    assert_eq!(pending[0]["id"], first);
    assert_eq!(pending[0]["indicator"], "PRD-1");
    let (status, _) = send(unit.get(app.url("/api/v1/indicator-values/pending"))).await;
    assert_eq!(status, 403);
    let decide = |c: &reqwest::Client, id: i64, body: Value| {
        c.post(app.url(&format!("/api/v1/indicator-values/{id}/decision")))
            .json(&body)
    };
    let (status, err) = send(decide(&unit, first, json!({"decision": "approve"}))).await;
    assert_eq!((status, err["error"].as_str()), (403, Some("forbidden")));

    // Returning needs a reason, said in the caller's language.
    let (status, err) = send(decide(&office, first, json!({"decision": "return"}))).await;
    assert_eq!(status, 422);
    assert_eq!(err["fields"]["reason"], "请填写理由。");
    let (status, err) =
        send(decide(&office, first, json!({"decision": "return"})).header("Accept-Language", "en"))
            .await;
    assert_eq!(
        (status, err["fields"]["reason"].as_str()),
        (422, Some("Give a reason."))
    );
    let (status, err) = send(decide(&office, first, json!({"decision": "maybe"}))).await;
    assert_eq!(status, 422, "{err}");
    assert!(err["fields"]["decision"].is_string());
    let (status, _) = send(decide(&office, 999_999, json!({"decision": "approve"}))).await;
    assert_eq!(status, 404);

    let (status, done) = send(decide(
        &office,
        first,
        json!({"decision": "return", "reason": "口径不符"}),
    ))
    .await;
    assert_eq!((status, done["status"].as_str()), (200, Some("rejected")));
    let (status, err) = send(decide(&office, first, json!({"decision": "approve"}))).await;
    assert_eq!((status, err["error"].as_str()), (409, Some("conflict")));

    // The API's approval and the page's give the same history.
    let by_api = submit(32.0).await;
    let (status, _) = send(decide(&office, by_api, json!({"decision": "approve"}))).await;
    assert_eq!(status, 200);
    let by_page = submit(33.0).await;
    let res = office
        .post(app.url(&format!("/indicator-values/{by_page}/decide")))
        .form(&[("decision", "approve"), ("indicator", "PRD-1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let (_, history) = send(office.get(app.url("/api/v1/indicators/PRD-1/values"))).await;
    let status_of = |id: i64| {
        history
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["id"] == id)
            .map(|v| v["status"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(status_of(first), "rejected");
    assert_eq!(
        status_of(by_api),
        "superseded",
        "the page's approval superseded the API's"
    );
    assert_eq!(status_of(by_page), "approved");

    // Disclosure: the office's, as on the page.
    let (status, _) = send(
        unit.put(app.url("/api/v1/indicators/PRD-1/disclosure"))
            .json(&json!({"public": true})),
    )
    .await;
    assert_eq!(status, 403);
    let (status, ind) = send(
        office
            .put(app.url("/api/v1/indicators/PRD-1/disclosure"))
            .json(&json!({"public": true})),
    )
    .await;
    assert_eq!((status, ind["public"].as_bool()), (200, Some(true)));
    let (status, _) = send(
        office
            .put(app.url("/api/v1/indicators/NOPE-1/disclosure"))
            .json(&json!({"public": true})),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn enterprises_credit_files_and_the_blacklist_are_written_and_read_through_the_api() {
    let app = TestApp::with_plan().await;
    let office = app.login("admin", crate::harness::ADMIN_PASSWORD).await;
    // ZJFJ keeps the enterprise and credit registers; NW keeps only sampling.
    let keeper = app.user("zjfj.staff", Role::Unit, Some("ZJFJ")).await;
    let other = app.user("nw.staff", Role::Unit, Some("NW")).await;
    let evaluator = app.user("eval", Role::Evaluator, None).await;

    let (status, _) = send(
        other
            .post(app.url("/api/v1/enterprises"))
            .json(&enterprise(HUAWEI, "华为")),
    )
    .await;
    assert_eq!(status, 403, "a unit not keeping the register is refused");
    let (status, e) = send(
        keeper
            .post(app.url("/api/v1/enterprises"))
            .json(&enterprise(HUAWEI, "华为技术有限公司")),
    )
    .await;
    assert_eq!(status, 201, "{e}");
    assert_eq!(e["code"], HUAWEI);
    assert_eq!(e["size"], "small");
    assert_eq!(e["file_opened"], "2014-03-01");
    assert!(e["grade"].is_string());

    // A bad code is refused with the page's reason; a duplicate, an unknown size, a bad date too.
    let bad_code = "914403001922038217";
    let (status, err) = send(
        keeper
            .post(app.url("/api/v1/enterprises"))
            .json(&enterprise(bad_code, "坏代码")),
    )
    .await;
    assert_eq!(status, 422);
    let api_reason = err["fields"]["code"].as_str().unwrap().to_string();
    let page = body(
        keeper
            .post(app.url("/enterprises"))
            .form(&[("code", bad_code), ("name", "坏代码")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        page.contains(&api_reason),
        "the page gives the API's reason: {api_reason}"
    );
    let (status, _) = send(
        keeper
            .post(app.url("/api/v1/enterprises"))
            .json(&enterprise(HUAWEI, "again")),
    )
    .await;
    assert_eq!(status, 422);
    let (status, err) = send(
        keeper
            .post(app.url("/api/v1/enterprises"))
            .json(&json!({"code": BAIDU, "name": "百度", "size": "huge"})),
    )
    .await;
    assert_eq!(status, 422);
    assert!(err["fields"]["size"].is_string());
    let (status, err) = send(
        keeper
            .post(app.url("/api/v1/enterprises"))
            .json(&json!({"code": BAIDU, "name": "百度", "file_opened": "2014-13-01"})),
    )
    .await;
    assert_eq!(status, 422);
    assert!(err["fields"]["file_opened"].is_string());

    // Updates are guarded by the row version.
    let mut edit = enterprise("", "华为技术有限公司（更名）");
    edit["row_version"] = e["row_version"].clone();
    let url = app.url(&format!("/api/v1/enterprises/{HUAWEI}"));
    let (status, _) = send(other.put(&url).json(&edit)).await;
    assert_eq!(status, 403);
    let (status, updated) = send(keeper.put(&url).json(&edit)).await;
    assert_eq!(
        (status, updated["name"].as_str()),
        (200, Some("华为技术有限公司（更名）"))
    );
    let (status, err) = send(keeper.put(&url).json(&edit)).await;
    assert_eq!((status, err["error"].as_str()), (409, Some("conflict")));
    let (status, _) = send(
        keeper
            .put(app.url(&format!("/api/v1/enterprises/{BAIDU}")))
            .json(&edit),
    )
    .await;
    assert_eq!(status, 404);

    // Licences.
    let (status, licences) = send(
        keeper
            .post(app.url(&format!("/api/v1/enterprises/{HUAWEI}/licences")))
            .json(&json!({"kind": "production", "number": "XK-001", "product": "电线", "expires": "2016-01-01"})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(licences[0]["number"], "XK-001");

    // A credit event changes the grade, on the page as in the API.
    let credit = app.url(&format!("/api/v1/enterprises/{HUAWEI}/credit"));
    let events = app.url(&format!("/api/v1/enterprises/{HUAWEI}/credit-events"));
    let penalty = json!({"kind": "penalty", "occurred_on": "2014-06-03", "serious": true, "summary": "无证生产",
        "evidence": {"filename": "处罚决定书.pdf", "content_base64": "JVBERi0xLjQKJSVFT0YK"}});
    let (status, _) = send(other.post(&events).json(&penalty)).await;
    assert_eq!(status, 403);
    let (status, err) = send(
        keeper
            .post(&events)
            .json(&json!({"kind": "nonsense", "occurred_on": "2014-06-03", "summary": "x"})),
    )
    .await;
    assert_eq!(status, 422);
    assert!(err["fields"]["kind"].is_string());
    let (status, file) = send(keeper.post(&events).json(&penalty)).await;
    assert_eq!(status, 201, "{file}");
    let event = &file["events"][0];
    assert_eq!(event["summary"], "无证生产");
    assert!(event["evidence"].as_str().unwrap().ends_with("/evidence"));
    let (status, read) = send(evaluator.get(&credit)).await;
    assert_eq!(status, 200);
    assert_eq!(read["score"], file["score"]);
    let id = file["enterprise"]["id"].as_i64().unwrap();
    let page = body(
        keeper
            .get(app.url(&format!("/enterprises/{id}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    for reason in read["reasons"].as_array().unwrap() {
        assert!(
            page.contains(reason["text"].as_str().unwrap()),
            "the page shows the API's reason {reason}"
        );
    }
    let evidence = keeper
        .get(app.url(event["evidence"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(evidence.status(), 200);
    let page_bytes = evidence.bytes().await.unwrap();

    // The same file through the API: an attachment, never sniffed; evaluators read no evidence.
    let event_id = event["id"].as_i64().unwrap();
    let api_evidence = app.url(&format!(
        "/api/v1/enterprises/{HUAWEI}/credit-events/{event_id}/evidence"
    ));
    let res = keeper.get(&api_evidence).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    assert_eq!(res.bytes().await.unwrap(), page_bytes);
    assert_eq!(
        evaluator.get(&api_evidence).send().await.unwrap().status(),
        403
    );
    let missing = app.url(&format!(
        "/api/v1/enterprises/{HUAWEI}/credit-events/{}/evidence",
        event_id + 1000
    ));
    assert_eq!(keeper.get(&missing).send().await.unwrap().status(), 404);

    // Withdrawing: the keepers' and the office's, once.
    let withdraw = app.url(&format!("/api/v1/credit-events/{event_id}/withdraw"));
    let (status, _) = send(other.post(&withdraw).json(&json!({"reason": "录入错误"}))).await;
    assert_eq!(status, 403);
    let (status, _) = send(keeper.post(&withdraw).json(&json!({"reason": ""}))).await;
    assert_eq!(status, 422);
    let (status, _) = send(keeper.post(&withdraw).json(&json!({"reason": "录入错误"}))).await;
    assert_eq!(status, 204);
    let (status, _) = send(keeper.post(&withdraw).json(&json!({"reason": "录入错误"}))).await;
    assert_eq!(status, 409);

    // The blacklist: proposed by a keeper, decided by the office, read by the office, leaders
    // and evaluators (not by unit staff, as the page).
    let listings = app.url(&format!("/api/v1/enterprises/{HUAWEI}/listings"));
    let (status, _) = send(other.post(&listings).json(&json!({"reason": "屡查不改"}))).await;
    assert_eq!(status, 403);
    let (status, listing) = send(keeper.post(&listings).json(&json!({"reason": "屡查不改"}))).await;
    assert_eq!((status, listing["state"].as_str()), (201, Some("proposed")));
    let (status, _) = send(keeper.post(&listings).json(&json!({"reason": "再次"}))).await;
    assert_eq!(status, 409, "one open listing at a time");
    let act = app.url(&format!("/api/v1/listings/{}/actions", listing["id"]));
    let approve = json!({"action": "approve", "row_version": listing["row_version"]});
    let (status, _) = send(keeper.post(&act).json(&approve)).await;
    assert_eq!(status, 403, "only the office approves");
    let (status, _) = send(other.post(&act).json(&approve)).await;
    assert_eq!(status, 403);
    let (status, err) = send(
        office
            .post(&act)
            .json(&json!({"action": "fly", "row_version": 0})),
    )
    .await;
    assert_eq!(status, 422, "{err}");
    let (status, listed) = send(office.post(&act).json(&approve)).await;
    assert_eq!((status, listed["state"].as_str()), (200, Some("listed")));
    let (status, _) = send(office.post(&act).json(&approve)).await;
    assert_eq!(
        status, 409,
        "a stale row version or a state that does not allow it"
    );
    let (status, _) = send(keeper.get(app.url("/api/v1/blacklist"))).await;
    assert_eq!(status, 403);
    for c in [&office, &evaluator] {
        let (status, list) = send(c.get(app.url("/api/v1/blacklist?state=listed"))).await;
        assert_eq!(status, 200);
        assert_eq!(list[0]["enterprise_code"], HUAWEI);
    }
    let (status, _) = send(office.get(app.url("/api/v1/blacklist?state=nonsense"))).await;
    assert_eq!(status, 422);
    let page = body(
        office
            .get(app.url("/credit/blacklist"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(page.contains("华为技术有限公司（更名）"));
    let (_, file) = send(office.get(&credit)).await;
    assert_eq!(file["enterprise"]["listing"], "listed");
    assert_eq!(file["listings"][0]["history"].as_array().unwrap().len(), 2);

    // Code overrides are the office's.
    let (status, _) = send(
        keeper
            .post(app.url("/api/v1/enterprise-code-overrides"))
            .json(&json!({"code": bad_code, "reason": "营业执照原件如此"})),
    )
    .await;
    assert_eq!(status, 403);
    let (status, ov) = send(
        office
            .post(app.url("/api/v1/enterprise-code-overrides"))
            .json(&json!({"code": bad_code, "reason": "营业执照原件如此"})),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(ov["code"], bad_code);
    let (status, e) = send(
        keeper
            .post(app.url("/api/v1/enterprises"))
            .json(&enterprise(bad_code, "特批企业")),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(e["code_override"], "营业执照原件如此");
}

#[tokio::test]
async fn sampling_records_and_their_follow_up_are_written_through_the_api() {
    let app = TestApp::with_plan().await;
    let keeper = app.user("zjfj.staff", Role::Unit, Some("ZJFJ")).await;
    let leader = app.user("leader", Role::Leader, None).await;
    let (status, _) = send(
        keeper
            .post(app.url("/api/v1/enterprises"))
            .json(&enterprise(HUAWEI, "华为技术有限公司")),
    )
    .await;
    assert_eq!(status, 201);
    let record = |no: &str, verdict: &str, items: &str| {
        json!({"report_no": no, "level": "district", "enterprise_code": HUAWEI, "product": "电线电缆",
            "category": "电工", "sampled_on": "2014-05-06", "verdict": verdict, "failed_items": items})
    };
    let url = app.url("/api/v1/sampling");
    let (status, _) = send(leader.post(&url).json(&record("S-1", "fail", "导体电阻"))).await;
    assert_eq!(status, 403, "leaders read and write nothing");
    // The record's own rules, as on the page.
    let (status, err) = send(keeper.post(&url).json(&record("S-1", "fail", ""))).await;
    assert_eq!(status, 422);
    let reason = err["fields"]["record"].as_str().unwrap().to_string();
    let page = body(
        keeper
            .post(app.url("/sampling"))
            .form(&[
                ("report_no", "S-1"),
                ("level", "district"),
                ("enterprise_code", HUAWEI),
                ("product", "电线电缆"),
                ("category", "电工"),
                ("sampled_on", "2014-05-06"),
                ("verdict", "fail"),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        page.contains(&reason),
        "the page gives the API's reason: {reason}"
    );
    let (status, err) = send(keeper.post(&url).json(&json!({"report_no": "S-1", "level": "moon",
        "enterprise_code": HUAWEI, "product": "x", "category": "电工", "sampled_on": "2014-05-06", "verdict": "pass"})))
    .await;
    assert_eq!((status, err["fields"]["level"].is_string()), (422, true));
    let (status, err) = send(keeper.post(&url).json(&json!({"report_no": "S-1", "level": "district",
        "enterprise_code": BAIDU, "product": "x", "category": "电工", "sampled_on": "2014-05-06", "verdict": "pass"})))
    .await;
    assert_eq!(
        (status, err["fields"]["enterprise_code"].is_string()),
        (422, true)
    );

    let (status, rec) = send(keeper.post(&url).json(&record(
        "S-1",
        "fail",
        "导体电阻（GB/T 3956）",
    )))
    .await;
    assert_eq!(status, 201, "{rec}");
    assert_eq!(rec["passed"], false);
    assert_eq!(rec["failed_items"][0]["item"], "导体电阻");
    assert_eq!(rec["failed_items"][0]["standard"], "GB/T 3956");
    let (status, _) = send(keeper.post(&url).json(&record("S-1", "pass", ""))).await;
    assert_eq!(status, 422, "a report number is recorded once");
    // The failure is in the credit file, as a record entered on the page puts it.
    let (_, file) =
        send(leader.get(app.url(&format!("/api/v1/enterprises/{HUAWEI}/credit")))).await;
    assert!(
        file["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "sampling_failure" && e["source"] == "sampling"),
        "{file}"
    );
    let (status, list) =
        send(leader.get(app.url("/api/v1/sampling?failed=true&level=district"))).await;
    assert_eq!((status, list[0]["report_no"].as_str()), (200, Some("S-1")));
    let (status, _) = send(leader.get(app.url("/api/v1/sampling?level=moon"))).await;
    assert_eq!(status, 422);
    let (status, _) = send(leader.get(app.url("/api/v1/sampling?page=9223372036854775807"))).await;
    assert_eq!(
        status, 200,
        "a page far past the end is empty, not an overflow"
    );

    // Follow-up, guarded by its row version.
    let id = rec["id"].as_i64().unwrap();
    let followup = app.url(&format!("/api/v1/sampling/{id}/followup"));
    let step = json!({"status": "rectifying", "rectify_by": "2014-07-01", "row_version": -1});
    let (status, _) = send(leader.post(&followup).json(&step)).await;
    assert_eq!(status, 403);
    let (status, err) = send(
        keeper
            .post(&followup)
            .json(&json!({"status": "closed", "row_version": -1})),
    )
    .await;
    assert_eq!(
        status, 422,
        "closing needs a passed re-inspection or a penalty: {err}"
    );
    let (status, rec) = send(keeper.post(&followup).json(&step)).await;
    assert_eq!(status, 200);
    assert_eq!(rec["followup"]["status"], "rectifying");
    let (status, _) = send(keeper.post(&followup).json(&step)).await;
    assert_eq!(status, 409, "a stale row version");
    let (status, one) = send(leader.get(app.url(&format!("/api/v1/sampling/{id}")))).await;
    assert_eq!(
        (status, one["followup"]["rectify_by"].as_str()),
        (200, Some("2014-07-01"))
    );
    let (status, _) = send(leader.get(app.url("/api/v1/sampling/999999"))).await;
    assert_eq!(status, 404);
    let (status, _) = send(leader.get(app.url("/api/v1/sampling/abc"))).await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn extensions_and_notices_are_handled_through_the_api_as_on_the_pages() {
    let app = TestApp::with_plan().await;
    let office = app.login("admin", crate::harness::ADMIN_PASSWORD).await;
    let unit = app.user("zjfj.staff", Role::Unit, Some("ZJFJ")).await;
    let other = app.user("nw.staff", Role::Unit, Some("NW")).await;
    let (status, obs) = send(unit.get(app.url("/api/v1/obligations?content=1.1.1"))).await;
    assert_eq!(status, 200);
    let ob = &obs[0];
    let id = ob["id"].as_i64().unwrap();
    let url = app.url(&format!("/api/v1/obligations/{id}/extensions"));
    let due =
        chrono::NaiveDate::parse_from_str(ob["due_date"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    let new_due = (due.max(chrono::Local::now().date_naive()) + chrono::Days::new(90)).to_string();
    let ask = json!({"new_due": new_due, "reason": "等待省局批复"});
    let (status, _) = send(other.post(&url).json(&ask)).await;
    assert!(
        matches!(status, 403 | 404),
        "another unit is refused: {status}"
    );
    let (status, err) = send(
        unit.post(&url)
            .json(&json!({"new_due": "明年", "reason": "x"})),
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        err["fields"]["new_due"]
            .as_str()
            .unwrap()
            .contains("2015-03-31")
    );
    let (status, created) = send(unit.post(&url).json(&ask)).await;
    assert_eq!(status, 201, "{created}");
    let decide = app.url(&format!("/api/v1/extensions/{}/decision", created["id"]));
    let (status, _) = send(unit.post(&decide).json(&json!({"decision": "approve"}))).await;
    assert_eq!(status, 403, "the office decides");
    let (status, _) = send(office.post(&decide).json(&json!({"decision": "perhaps"}))).await;
    assert_eq!(status, 422);
    let (status, _) = send(office.post(&decide).json(&json!({"decision": "approve"}))).await;
    assert_eq!(status, 204);
    let (status, _) = send(office.post(&decide).json(&json!({"decision": "approve"}))).await;
    assert_eq!(status, 409);
    let (_, after) = send(unit.get(app.url(&format!("/api/v1/obligations/{id}")))).await;
    assert_eq!(after["due_date"], new_due.as_str());

    // A 督办 notice: its unit reads and answers it, another unit cannot.
    let today = chrono::Local::now().date_naive();
    let notice = qcity_store::notices::issue_duban(
        &app.store,
        &Actor::system("t"),
        "ZJFJ",
        Some(id),
        "督办",
        "",
        today,
        today,
    )
    .await
    .unwrap();
    let read = app.url(&format!("/api/v1/notices/{notice}/read"));
    let respond = app.url(&format!("/api/v1/notices/{notice}/response"));
    let (status, _) = send(other.post(&read)).await;
    assert!(matches!(status, 403 | 404), "{status}");
    let (status, _) = send(other.post(&respond).json(&json!({"response": "已整改"}))).await;
    assert!(matches!(status, 403 | 404), "{status}");
    let (status, _) = send(unit.post(&respond).json(&json!({"response": " "}))).await;
    assert_eq!(status, 422);
    let (status, _) = send(unit.post(&read)).await;
    assert_eq!(status, 204);
    let (status, _) = send(unit.post(&respond).json(&json!({"response": "已整改"}))).await;
    assert_eq!(status, 204);
    let (_, list) = send(unit.get(app.url("/api/v1/notices"))).await;
    let n = list
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == notice)
        .unwrap();
    assert_eq!(n["response"], "已整改", "{n}");
}
