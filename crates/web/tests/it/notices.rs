//! Notices (issue 15, daily work): the page groups a unit's notices by kind with counts,
//! filters them by read state and date and pages them, keeping the filters in the URL; licence
//! expiries reach the register keepers as one digest a day, each step of a licence once; the
//! public portal tells same-name enterprises apart by address and town, without contacts.

use crate::harness::{ADMIN_PASSWORD, TestApp, body};
use chrono::NaiveDate;
use qcity_domain::registry::LicenceKind;
use qcity_domain::role::Role;
use qcity_store::enterprises::{self, EnterpriseInput, LicenceInput};
use qcity_store::notices::{self, Filter};
use qcity_store::{Actor, Store};
use sqlx::Row;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

async fn unit_id(store: &Store, code: &str) -> i64 {
    qcity_store::units::get(store, &Actor::system("t"), code)
        .await
        .unwrap()
        .id
}

async fn unit_actor(store: &Store, code: &str) -> Actor {
    Actor {
        user_id: None,
        username: format!("staff-{code}"),
        role: Some(Role::Unit),
        unit_id: Some(unit_id(store, code).await),
        owner_id: None,
        ip: "127.0.0.1".into(),
        request_id: String::new(),
    }
}

/// A notice written as the store writes them, `read` or not.
async fn add_notice(
    store: &Store,
    unit: i64,
    kind: &str,
    level: &str,
    issued: NaiveDate,
    n: usize,
    read: bool,
) {
    sqlx::query(
        "INSERT INTO notices (unit_id, obligation_id, kind, level, title, body, issued_on, dedupe_key, created_at, read_at) \
         VALUES ($1, NULL, $2, $3, $4, '', $5, $6, '2015-01-01T00:00:00Z', $7)",
    )
    .bind(unit)
    .bind(kind)
    .bind(level)
    .bind(format!("测试通知 {kind} {n}"))
    .bind(issued.to_string())
    .bind(format!("test:{unit}:{kind}:{n}"))
    .bind(read.then(|| "2015-03-01T00:00:00Z".to_string()))
    .execute(&store.pool)
    .await
    .unwrap();
}

/// How many notice cards a page shows.
fn cards(page: &str) -> usize {
    page.matches("class=\"card notice-card").count()
}

/// The count beside the tab `id`.
fn tab_count(page: &str, id: &str) -> i64 {
    let start = page
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no tab {id}"));
    let rest = &page[start..];
    let from = rest.find("class=\"count\">").unwrap() + "class=\"count\">".len();
    let to = rest[from..].find('<').unwrap();
    rest[from..from + to].trim().parse().unwrap()
}

/// The count shown in the heading of the home queue `id`.
fn queue_count(page: &str, id: &str) -> usize {
    let start = page.find(&format!("id=\"{id}\"")).unwrap();
    let rest = &page[start..];
    let text = &rest[rest.find("class=\"count").unwrap()..];
    let from = text.find('>').unwrap() + 1;
    let to = text.find("</span>").unwrap();
    text[from..to].trim().parse().unwrap()
}

#[tokio::test]
async fn notices_are_grouped_by_kind_filtered_and_paged() {
    let today = d("2015-03-01");
    let app = TestApp::with_plan_and(qcity_web::Config {
        today: Some(today),
        ..Default::default()
    })
    .await;
    let zj = unit_id(&app.store, "ZJFJ").await;
    let nw = unit_id(&app.store, "NW").await;
    // 120 notices of ZJFJ over January and February: 10 督办 (4 read), 30 催办, 20 reminders
    // and 60 licence digests (all read); one 督办 of another unit.
    let jan = d("2015-01-01");
    for n in 0..10 {
        add_notice(
            &app.store,
            zj,
            "duban",
            "yellow",
            jan + chrono::Days::new(n as u64 * 5),
            n,
            n < 4,
        )
        .await;
    }
    for n in 0..30 {
        add_notice(
            &app.store,
            zj,
            "cuiban",
            "blue",
            jan + chrono::Days::new(n as u64),
            n,
            false,
        )
        .await;
    }
    for n in 0..20 {
        add_notice(
            &app.store,
            zj,
            "reminder",
            "info",
            jan + chrono::Days::new(30 + n as u64),
            n,
            false,
        )
        .await;
    }
    for n in 0..60 {
        add_notice(
            &app.store,
            zj,
            "licence",
            "info",
            jan + chrono::Days::new(n as u64 % 59),
            n,
            true,
        )
        .await;
    }
    add_notice(&app.store, nw, "duban", "yellow", jan, 0, false).await;

    // The store: counts per kind, in the order of what asks most of a unit, match the rows.
    let staff = unit_actor(&app.store, "ZJFJ").await;
    let all = notices::page(&app.store, &staff, &Filter::default(), 1)
        .await
        .unwrap();
    assert_eq!(
        all.kinds,
        vec![
            ("duban".to_string(), 10),
            ("cuiban".to_string(), 30),
            ("reminder".to_string(), 20),
            ("licence".to_string(), 60)
        ]
    );
    assert_eq!((all.all, all.total, all.notices.len()), (120, 120, 50));
    for (kind, n) in &all.kinds {
        let f = Filter {
            kind: Some(kind.clone()),
            ..Default::default()
        };
        let mut rows = 0;
        for p in 1..=3 {
            let page = notices::page(&app.store, &staff, &f, p).await.unwrap();
            assert_eq!(page.total, *n);
            assert!(
                page.notices
                    .iter()
                    .all(|x| &x.kind == kind && x.unit_code == "ZJFJ")
            );
            rows += page.notices.len() as i64;
        }
        assert_eq!(rows, *n, "{kind}");
    }
    // Unread only: the kinds' counts follow the filter.
    let unread = Filter {
        read: Some(false),
        ..Default::default()
    };
    let page = notices::page(&app.store, &staff, &unread, 1).await.unwrap();
    assert_eq!(page.all, 6 + 30 + 20);
    assert!(!page.kinds.iter().any(|(k, _)| k == "licence"));
    assert!(page.notices.iter().all(|n| !n.read));
    // A date range, both ends included.
    let range = Filter {
        kind: Some("cuiban".into()),
        from: Some(d("2015-01-05")),
        to: Some(d("2015-01-14")),
        ..Default::default()
    };
    let page = notices::page(&app.store, &staff, &range, 1).await.unwrap();
    assert_eq!(page.total, 10);
    assert!(
        page.notices
            .iter()
            .all(|n| n.issued_on.as_str() >= "2015-01-05" && n.issued_on.as_str() <= "2015-01-14")
    );
    // Unread first: the unread 督办 before the read ones, whatever their dates.
    let f = Filter {
        kind: Some("duban".into()),
        unread_first: true,
        ..Default::default()
    };
    let page = notices::page(&app.store, &staff, &f, 1).await.unwrap();
    let reads: Vec<bool> = page.notices.iter().map(|n| n.read).collect();
    assert_eq!(reads, [vec![false; 6], vec![true; 4]].concat());
    // The office sees every unit's.
    let office = notices::page(&app.store, &Actor::system("t"), &Filter::default(), 1)
        .await
        .unwrap();
    assert_eq!(office.all, 121);

    // The page: tabs with counts, 50 a page with the total, filters kept in every link.
    let web = app.user("zj.notices", Role::Unit, Some("ZJFJ")).await;
    let page = body(web.get(app.url("/notices")).send().await.unwrap()).await;
    assert_eq!(tab_count(&page, "kind-all"), 120);
    assert_eq!(tab_count(&page, "kind-duban"), 10);
    assert_eq!(tab_count(&page, "kind-cuiban"), 30);
    assert_eq!(tab_count(&page, "kind-licence"), 60);
    assert!(page.contains(">督办 <span"), "tabs are named in Chinese");
    assert!(page.contains(">许可证到期 <span"));
    assert_eq!(cards(&page), 50);
    assert!(page.contains("共 120 条"));
    assert!(page.contains("href=\"/notices?page=2\""));
    let page3 = body(web.get(app.url("/notices?page=3")).send().await.unwrap()).await;
    assert_eq!(cards(&page3), 20);
    assert!(page3.contains("3 / 3"));

    let url = "/notices?kind=duban&read=unread&from=2015-01-01&to=2015-02-28&order=unread";
    let page = body(web.get(app.url(url)).send().await.unwrap()).await;
    assert_eq!(cards(&page), 6);
    assert!(page.contains("共 6 条"));
    assert_eq!(tab_count(&page, "kind-duban"), 6);
    assert!(
        page.contains("href=\"/notices?kind=cuiban&#38;read=unread&#38;from=2015-01-01&#38;to=2015-02-28&#38;order=unread\""),
        "another tab keeps the other filters"
    );
    assert!(page.contains("<option value=\"unread\" selected>"));
    assert!(page.contains("value=\"2015-01-01\""));
    assert!(!page.contains("测试通知 cuiban"));
    // Reading one returns to the same view, which no longer lists it.
    let first = notices::page(
        &app.store,
        &staff,
        &Filter {
            kind: Some("duban".into()),
            read: Some(false),
            ..Default::default()
        },
        1,
    )
    .await
    .unwrap()
    .notices[0]
        .id;
    let res = web
        .post(app.url(&format!(
            "/notices/{first}/read?kind=duban&read=unread&from=2015-01-01&to=2015-02-28&order=unread"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], url);
    let page = body(web.get(app.url(url)).send().await.unwrap()).await;
    assert_eq!(cards(&page), 5);
    assert!(!page.contains(&format!("id=\"notice-{first}\"")));
    // A date typed wrong is said so, not an error page; the rest still filters.
    let res = web
        .get(app.url("/notices?kind=duban&from=2015-13-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let page = body(res).await;
    assert!(page.contains("请填写日期"));
    assert_eq!(cards(&page), 10);
    // No internal code shows as text on the zh-CN page.
    for code in [
        ">duban",
        ">cuiban",
        ">licence",
        ">notice-kind-",
        ">notices-",
    ] {
        assert!(!page.contains(code), "{code}");
    }
}

async fn add_enterprise(
    store: &Store,
    n: u64,
    name: &str,
    address: &str,
    town: &str,
    licence: Option<(&str, &str)>,
) -> i64 {
    let office = Actor::system("office");
    let id = enterprises::create(
        store,
        &office,
        &EnterpriseInput {
            code: qcity_store::demo::registers::demo_uscc(n),
            name: name.into(),
            address: address.into(),
            town: town.into(),
            chief_quality_officer: format!("质量官{n}"),
            contact: format!("0371-6612{n:04}"),
            ..Default::default()
        },
        d("2014-12-01"),
    )
    .await
    .unwrap();
    if let Some((number, expires)) = licence {
        enterprises::save_licence(
            store,
            &office,
            id,
            &LicenceInput {
                kind: LicenceKind::Production,
                number: number.into(),
                product: "建筑用钢筋".into(),
                issued: Some(d("2010-03-01")),
                expires: Some(d(expires)),
            },
        )
        .await
        .unwrap();
    }
    id
}

/// The licence notices of a unit, newest first.
async fn licence_notices(store: &Store, unit: &str) -> Vec<notices::Notice> {
    notices::list(store, &unit_actor(store, unit).await, Some("licence"))
        .await
        .unwrap()
}

#[tokio::test]
async fn licence_expiries_come_as_one_daily_digest_each_step_once() {
    let today = d("2015-01-01");
    let app = TestApp::with_plan_and(qcity_web::Config {
        today: Some(today),
        ..Default::default()
    })
    .await;
    // Five licences that reach the 60-day step on 2015-01-01 (45 to 60 days left), and one
    // far off.
    let expiries = [
        "2015-02-15",
        "2015-02-20",
        "2015-02-25",
        "2015-03-01",
        "2015-03-02",
    ];
    for (i, e) in expiries.iter().enumerate() {
        let n = i as u64 + 1;
        add_enterprise(
            &app.store,
            n,
            &format!("惠济建材厂{n}"),
            &format!("惠济区天河路{n}号"),
            "新城街道",
            Some((&format!("XK05-001-0000{n}"), e)),
        )
        .await;
    }
    add_enterprise(
        &app.store,
        9,
        "远期企业",
        "惠济区",
        "古荥镇",
        Some(("XK05-001-00009", "2016-06-30")),
    )
    .await;

    // The unit's home count before any digest.
    let web = app.user("zj.lic", Role::Unit, Some("ZJFJ")).await;
    let home = body(web.get(app.url("/")).send().await.unwrap()).await;
    let waiting = queue_count(&home, "queue-notices");

    assert_eq!(
        enterprises::licence_alerts(&app.store, d("2014-12-01"))
            .await
            .unwrap(),
        0
    );
    // One digest per register keeper (区质监分局 and 区工商分局), listing all five.
    assert_eq!(
        enterprises::licence_alerts(&app.store, today)
            .await
            .unwrap(),
        2
    );
    for unit in ["ZJFJ", "GSFJ"] {
        let list = licence_notices(&app.store, unit).await;
        assert_eq!(list.len(), 1, "{unit}");
        assert_eq!(list[0].title, "许可证到期提醒：5 张许可证（0 张已过期）");
        assert_eq!(list[0].issued_on, "2015-01-01");
        for (i, e) in expiries.iter().enumerate() {
            let n = i + 1;
            assert!(
                list[0].body.contains(&format!(
                    "惠济建材厂{n}（{}）：生产许可证 XK05-001-0000{n}，有效期至 {e}，还有",
                    qcity_store::demo::registers::demo_uscc(n as u64)
                )),
                "{}",
                list[0].body
            );
        }
        assert!(!list[0].body.contains("远期企业"));
    }
    assert!(licence_notices(&app.store, "NW").await.is_empty());
    // The unread digest is routine: the navigation's badge counts only what asks for work.
    let keeper = unit_actor(&app.store, "ZJFJ").await;
    assert!(!licence_notices(&app.store, "ZJFJ").await[0].read);
    assert_eq!(notices::unread(&app.store, &keeper).await.unwrap(), 0);
    // Delivered as one message per keeper, not one per licence.
    assert_eq!(
        qcity_store::outbox::enqueue_webhooks(
            &app.store,
            "https://hooks.example/qcity",
            chrono::Utc::now()
        )
        .await
        .unwrap(),
        2
    );
    // The hourly supervisor again, the same day and the next: nothing more.
    for day in ["2015-01-01", "2015-01-01", "2015-01-02", "2015-01-10"] {
        assert_eq!(
            enterprises::licence_alerts(&app.store, d(day))
                .await
                .unwrap(),
            0,
            "{day}"
        );
    }
    assert_eq!(licence_notices(&app.store, "ZJFJ").await.len(), 1);

    // The first licence reaches 30 days left on 2015-01-16: reported once, alone.
    assert_eq!(
        enterprises::licence_alerts(&app.store, d("2015-01-16"))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        enterprises::licence_alerts(&app.store, d("2015-01-16"))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        enterprises::licence_alerts(&app.store, d("2015-01-17"))
            .await
            .unwrap(),
        0
    );
    let list = licence_notices(&app.store, "ZJFJ").await;
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].title, "许可证到期提醒：1 张许可证（0 张已过期）");
    assert_eq!(list[0].level, "yellow");
    assert!(
        list[0]
            .body
            .contains("XK05-001-00001，有效期至 2015-02-15，还有 30 天")
    );
    assert!(!list[0].body.contains("XK05-001-00002"));

    // The second licence is renewed to a new expiry: its steps start over.
    let renewed = enterprises::search(
        &app.store,
        qcity_store::enterprises::Whose::Public(None),
        "惠济建材厂2",
        5,
        0,
    )
    .await
    .unwrap()
    .0[0]
        .id;
    enterprises::save_licence(
        &app.store,
        &Actor::system("office"),
        renewed,
        &LicenceInput {
            kind: LicenceKind::Production,
            number: "XK05-001-00002".into(),
            product: "建筑用钢筋".into(),
            issued: Some(d("2015-01-18")),
            expires: Some(d("2015-03-15")),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        enterprises::licence_alerts(&app.store, d("2015-01-18"))
            .await
            .unwrap(),
        2
    );
    let list = licence_notices(&app.store, "ZJFJ").await;
    assert_eq!(list[0].title, "许可证到期提醒：1 张许可证（0 张已过期）");
    assert!(
        list[0]
            .body
            .contains("XK05-001-00002，有效期至 2015-03-15，还有 56 天"),
        "{}",
        list[0].body
    );
    // Past expiry: the first licence once more, as expired (red), with the others at 30 days.
    assert_eq!(
        enterprises::licence_alerts(&app.store, d("2015-02-16"))
            .await
            .unwrap(),
        2
    );
    let list = licence_notices(&app.store, "ZJFJ").await;
    assert_eq!(list[0].title, "许可证到期提醒：5 张许可证（1 张已过期）");
    assert!(
        list[0]
            .body
            .contains("XK05-001-00001，有效期至 2015-02-15，已过期 1 天"),
        "{}",
        list[0].body
    );
    assert_eq!(list[0].level, "red");
    let steps: i64 = sqlx::query("SELECT COUNT(*) AS n FROM licence_alert_steps")
        .fetch_one(&app.store.pool)
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
    // 5 at 60 days, 1 at 30, the renewal's 60 days, and on 2015-02-16 the first's expiry and
    // the 30-day steps of the other four.
    assert_eq!(steps, 5 + 1 + 1 + 5);

    // Digests are not the unit's work: the home count and the bulletin's counts ignore them.
    let home = body(web.get(app.url("/")).send().await.unwrap()).await;
    assert_eq!(queue_count(&home, "queue-notices"), waiting);
    let counts = notices::counts_by_unit(
        &app.store,
        &qcity_store::Actor::system("t"),
        d("2015-01-01"),
        d("2015-12-31"),
    )
    .await
    .unwrap();
    assert!(
        counts
            .get("ZJFJ")
            .is_none_or(|c| c.yellow == 0 && c.red == 0),
        "{counts:?}"
    );

    // The digest links to the follow-up list, which the keepers and the office read.
    let page = body(
        web.get(app.url("/notices?kind=licence"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(page.contains("href=\"/enterprises/licences?within=60\""));
    let res = web
        .get(app.url("/enterprises/licences?within=60"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let page = body(res).await;
    assert!(page.contains("惠济建材厂1") && page.contains("XK05-001-00005"));
    assert!(!page.contains("远期企业"));
    let nw = app.user("nw.lic", Role::Unit, Some("NW")).await;
    let res = nw
        .get(app.url("/enterprises/licences"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let office = app.login("admin", ADMIN_PASSWORD).await;
    let res = office
        .get(app.url("/enterprises/licences?within=abc"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn the_public_lookup_tells_same_name_enterprises_apart_without_contacts() {
    let app = TestApp::spawn().await;
    add_enterprise(
        &app.store,
        21,
        "惠济食品有限公司",
        "惠济区开元路8号",
        "花园口镇",
        None,
    )
    .await;
    add_enterprise(
        &app.store,
        22,
        "惠济食品有限公司",
        "惠济区天河路66号",
        "长兴路街道",
        None,
    )
    .await;
    let web = app.client();
    let res = web
        .get(app.url("/public/enterprises?q=惠济食品"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let page = body(res).await;
    assert_eq!(page.matches("class=\"card public-enterprise\"").count(), 2);
    for text in [
        "惠济区开元路8号",
        "花园口镇",
        "惠济区天河路66号",
        "长兴路街道",
        "地址",
        "所属街道",
    ] {
        assert!(page.contains(text), "{text}");
    }
    for personal in ["0371-6612", "质量官"] {
        assert!(!page.contains(personal), "{personal} is personal data");
    }
    // By credit code: the one enterprise.
    let code = qcity_store::demo::registers::demo_uscc(22);
    let page = body(
        web.get(app.url(&format!("/public/enterprises?q={code}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(page.matches("class=\"card public-enterprise\"").count(), 1);
    assert!(page.contains("惠济区天河路66号") && !page.contains("惠济区开元路8号"));
}
