//! Lists: paging and sorting in SQL, filters kept in the pager and header links, full-text
//! search over enterprise names, addresses and codes (several words, partial codes), grade and
//! area filters, and same-name enterprises told apart by their address.

use crate::harness::{ADMIN_PASSWORD, TestApp, body};
use chrono::NaiveDate;
use qcity_domain::credit::EventKind;
use qcity_store::Actor;
use qcity_store::credit::{self, NewEvent};
use qcity_store::demo::registers::demo_uscc;
use qcity_store::enterprises::{self, EnterpriseFilter, EnterpriseInput};
use qcity_store::obligations::{self, Filter};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2015, 3, 1).unwrap()
}

async fn add(app: &TestApp, n: u64, name: &str, address: &str, town: &str) -> (i64, String) {
    let code = demo_uscc(n);
    let input = EnterpriseInput {
        code: code.clone(),
        name: name.into(),
        address: address.into(),
        industry: "食品制造".into(),
        town: town.into(),
        ..Default::default()
    };
    let id = enterprises::create(&app.store, &Actor::system("t"), &input, today())
        .await
        .unwrap();
    (id, code)
}

/// The page as the browser reads its links (askama escapes `&`).
fn unescape(html: &str) -> String {
    html.replace("&amp;", "&")
        .replace("&#38;", "&")
        .replace("&#x2f;", "/")
        .replace("&#47;", "/")
}

async fn page(c: &reqwest::Client, app: &TestApp, path: &str) -> String {
    let res = c.get(app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), 200, "{path}");
    unescape(&body(res).await)
}

/// The enterprise rows of a list page, in order, by their id.
fn row_ids(html: &str) -> Vec<i64> {
    html.split("<tr id=\"ent-")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter_map(|s| s.parse().ok())
        .collect()
}

/// How many obligations a list page links to.
fn ob_links(html: &str) -> usize {
    html.split("href=\"/obligations/")
        .skip(1)
        .filter(|s| s.starts_with(|c: char| c.is_ascii_digit()))
        .count()
}

fn enc(s: &str) -> String {
    qcity_web::view::encode_component(s)
}

#[tokio::test]
async fn several_words_and_a_partial_code_find_an_enterprise_by_name_address_or_code() {
    let app = TestApp::spawn().await;
    let (golden, golden_code) = add(
        &app,
        1,
        "郑州金华食品有限公司",
        "惠济区长兴路8号",
        "长兴路街道",
    )
    .await;
    let (drinks, _) = add(&app, 2, "郑州惠济饮料厂", "惠济区天河路1号", "新城街道").await;
    let (_, _) = add(&app, 3, "金水区食品店", "金水区花园路2号", "花园口镇").await;
    let office = app.login("admin", ADMIN_PASSWORD).await;

    // Two words, one from the address and one from the name: both must match.
    let html = page(
        &office,
        &app,
        &format!("/enterprises?q={}", enc("惠济 食品")),
    )
    .await;
    assert_eq!(row_ids(&html), vec![golden], "{html}");
    assert!(html.contains("第 1 / 1 页，共 1 条"), "{html}");
    let html = page(
        &office,
        &app,
        &format!("/enterprises?q={}", enc("惠济 饮料")),
    )
    .await;
    assert_eq!(row_ids(&html), vec![drinks]);
    let html = page(
        &office,
        &app,
        &format!("/enterprises?q={}", enc("长兴路 饮料")),
    )
    .await;
    assert!(row_ids(&html).is_empty());
    assert!(html.contains("id=\"no-rows\""));

    // The first sixteen characters of the code, in lower case, and in full-width digits.
    let html = page(
        &office,
        &app,
        &format!("/enterprises?q={}", &golden_code[..16]),
    )
    .await;
    assert_eq!(row_ids(&html), vec![golden]);
    let (found, total) = enterprises::search(
        &app.store,
        qcity_store::enterprises::Whose::Public(None),
        &golden_code[..16].to_lowercase(),
        10,
        0,
    )
    .await
    .unwrap();
    assert_eq!((found[0].id, total), (golden, 1));
    let wide: String = golden_code[..16]
        .chars()
        .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap())
        .collect();
    assert_eq!(
        enterprises::search(
            &app.store,
            qcity_store::enterprises::Whose::Public(None),
            &wide,
            10,
            0
        )
        .await
        .unwrap()
        .1,
        1
    );
    // A code that only shares the district's digits matches all three.
    assert_eq!(
        enterprises::search(
            &app.store,
            qcity_store::enterprises::Whose::Public(None),
            "91410108",
            10,
            0
        )
        .await
        .unwrap()
        .1,
        3
    );
}

#[tokio::test]
async fn an_edit_and_an_import_keep_the_search_current() {
    let app = TestApp::spawn().await;
    let (id, code) = add(&app, 4, "郑州老字号糕点厂", "惠济区迎宾路", "新城街道").await;
    let before = enterprises::get(&app.store, &Actor::system("t"), id)
        .await
        .unwrap();
    let mut input = before.input();
    input.name = "郑州新字号月饼厂".into();
    enterprises::update(
        &app.store,
        &Actor::system("t"),
        id,
        before.row_version,
        &input,
        today(),
    )
    .await
    .unwrap();
    assert_eq!(
        enterprises::search(
            &app.store,
            qcity_store::enterprises::Whose::Public(None),
            "糕点",
            10,
            0
        )
        .await
        .unwrap()
        .1,
        0
    );
    assert_eq!(
        enterprises::search(
            &app.store,
            qcity_store::enterprises::Whose::Public(None),
            "月饼 迎宾",
            10,
            0
        )
        .await
        .unwrap()
        .1,
        1
    );

    let office = app.login("admin", ADMIN_PASSWORD).await;
    let csv = format!(
        "统一社会信用代码,企业名称,所属街道（镇）\n{code},郑州新字号烘焙有限公司,新城街道\n{},惠济区黄河鲤鱼养殖场,花园口镇\n",
        demo_uscc(5)
    );
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("企业.csv"),
    );
    let res = office
        .post(app.url("/enterprises/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let (status, outcome) = crate::harness::import_outcome(&office, res).await;
    assert_eq!(status, 200, "{outcome}");
    for (query, n) in [("烘焙", 1), ("月饼", 0), ("黄河 鲤鱼", 1), ("鲤鱼 迎宾", 0)] {
        assert_eq!(
            enterprises::search(
                &app.store,
                qcity_store::enterprises::Whose::Public(None),
                query,
                10,
                0
            )
            .await
            .unwrap()
            .1,
            n,
            "{query}"
        );
    }
}

#[tokio::test]
async fn the_enterprise_list_pages_by_fifty_and_keeps_its_filters_in_the_pager() {
    let app = TestApp::spawn().await;
    for n in 0..120 {
        add(&app, 100 + n, &format!("花园食品{n:03}厂"), "", "花园口镇").await;
    }
    add(&app, 300, "新城食品厂", "", "新城街道").await;
    let office = app.login("admin", ADMIN_PASSWORD).await;
    let town = enc("花园口镇");

    let first = page(&office, &app, &format!("/enterprises?town={town}")).await;
    assert_eq!(row_ids(&first).len(), 50);
    assert!(first.contains("第 1 / 3 页，共 120 条"), "{first}");
    assert!(!first.contains("rel=\"prev\""));
    let next = format!("/enterprises?town={town}&page=2");
    assert!(
        first.contains(&format!("href=\"{next}\" rel=\"next\"")),
        "{first}"
    );

    let second = page(&office, &app, &next).await;
    assert!(second.contains("第 2 / 3 页，共 120 条"));
    assert!(second.contains(&format!("href=\"/enterprises?town={town}\" rel=\"prev\"")));
    let third = page(&office, &app, &format!("/enterprises?town={town}&page=3")).await;
    assert_eq!(row_ids(&third).len(), 20);
    assert!(!third.contains("rel=\"next\""));
    // Pages do not overlap: together they are the 120 of the town, once each.
    let mut all: Vec<i64> = [&first, &second, &third]
        .iter()
        .flat_map(|h| row_ids(h))
        .collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 120);

    // A page beyond the last is empty but says where it is; a bad page number is the first.
    let beyond = page(&office, &app, &format!("/enterprises?town={town}&page=9")).await;
    assert!(row_ids(&beyond).is_empty() && beyond.contains("第 9 / 3 页"));
    let bad = page(&office, &app, "/enterprises?page=abc").await;
    assert!(bad.contains("第 1 / 3 页，共 121 条"), "{bad}");
}

#[tokio::test]
async fn column_headers_sort_both_ways_and_an_unknown_key_keeps_the_default_order() {
    let app = TestApp::spawn().await;
    let mut made = Vec::new();
    for n in [7u64, 3, 9, 1] {
        made.push(add(&app, n, &format!("企业{n}"), "", "新城街道").await);
    }
    let office = app.login("admin", ADMIN_PASSWORD).await;
    let mut by_code = made.clone();
    by_code.sort_by(|a, b| a.1.cmp(&b.1));
    let asc: Vec<i64> = by_code.iter().map(|(id, _)| *id).collect();
    let desc: Vec<i64> = asc.iter().rev().copied().collect();

    let html = page(&office, &app, "/enterprises?q=&sort=code&dir=asc").await;
    assert_eq!(row_ids(&html), asc);
    assert!(
        html.contains(
            "aria-sort=\"ascending\"><a class=\"sort\" href=\"/enterprises?sort=code&dir=desc\""
        ),
        "{html}"
    );
    let html = page(&office, &app, "/enterprises?sort=code&dir=desc").await;
    assert_eq!(row_ids(&html), desc);
    assert!(html.contains(
        "aria-sort=\"descending\"><a class=\"sort\" href=\"/enterprises?sort=code&dir=asc\""
    ));
    // Only the sorted column carries aria-sort.
    assert_eq!(html.matches("aria-sort=").count(), 1);

    // Text that is not a listed key never reaches SQL: the list keeps its order by name.
    for bad in ["e.id;DROP TABLE enterprises", "grade", "name%20DESC"] {
        let html = page(&office, &app, &format!("/enterprises?sort={bad}&dir=desc")).await;
        assert_eq!(row_ids(&html).len(), 4, "{bad}");
        assert!(html.contains("data-sort=\"name\""));
        assert!(
            html.contains("aria-sort=\"ascending\"><a class=\"sort\" href=\"/enterprises?sort=name&dir=desc\" data-sort=\"name\""),
            "{bad}: {html}"
        );
    }
    // The sort is kept when filtering and paging: the form carries it, the pager links too.
    let html = page(&office, &app, "/enterprises?town=x&sort=town&dir=desc").await;
    assert!(html.contains("name=\"sort\" value=\"town\""));
    assert!(html.contains("name=\"dir\" value=\"desc\""));
}

#[tokio::test]
async fn grade_area_and_industry_filters_narrow_the_enterprise_list() {
    let app = TestApp::spawn().await;
    let (clean, _) = add(&app, 11, "守信食品厂", "", "新城街道").await;
    let (penalised, _) = add(&app, 12, "处罚食品厂", "", "花园口镇").await;
    let (other, _) = add(&app, 13, "花园机械厂", "", "花园口镇").await;
    let now = chrono::Local::now().date_naive();
    for _ in 0..2 {
        credit::add_event(
            &app.store,
            &Actor::system("t"),
            penalised,
            &NewEvent {
                kind: EventKind::Penalty,
                occurred_on: now,
                serious: true,
                summary: "生产不合格产品".into(),
            },
            &[],
            now,
        )
        .await
        .unwrap();
    }
    let grades = credit::grades(&app.store, &[clean, penalised], now)
        .await
        .unwrap();
    let (good, bad) = (grades[&clean], grades[&penalised]);
    assert_ne!(good, bad, "the penalty lowers the grade");
    use qcity_domain::registry::CodeList;
    let office = app.login("admin", ADMIN_PASSWORD).await;

    let html = page(&office, &app, &format!("/enterprises?grade={}", bad.code())).await;
    assert_eq!(row_ids(&html), vec![penalised]);
    assert!(html.contains("共 1 条"));
    let html = page(
        &office,
        &app,
        &format!("/enterprises?grade={}", good.code()),
    )
    .await;
    assert!(row_ids(&html).contains(&clean) && !row_ids(&html).contains(&penalised));

    let html = page(
        &office,
        &app,
        &format!("/enterprises?town={}", enc("花园口镇")),
    )
    .await;
    let mut ids = row_ids(&html);
    ids.sort();
    assert_eq!(ids, vec![penalised, other]);
    // Area and grade together, and the pager keeps both.
    let html = page(
        &office,
        &app,
        &format!(
            "/enterprises?town={}&grade={}",
            enc("花园口镇"),
            good.code()
        ),
    )
    .await;
    assert_eq!(row_ids(&html), vec![other]);
    let (found, _) = enterprises::find(
        &app.store,
        qcity_store::enterprises::Whose::Public(None),
        &EnterpriseFilter {
            industry: "食品制造".into(),
            town: "新城街道".into(),
            ..Default::default()
        },
        None,
        10,
        0,
    )
    .await
    .unwrap();
    assert_eq!(found.len(), 1);
    // The area is always a column of the list.
    assert!(html.contains("<td class=\"area\">花园口镇</td>"));
}

#[tokio::test]
async fn enterprises_with_the_same_name_are_told_apart_by_address() {
    let app = TestApp::spawn().await;
    let (a, _) = add(&app, 21, "惠济区永丰面粉厂", "惠济区古荥镇大河村", "古荥镇").await;
    let (b, _) = add(
        &app,
        22,
        "惠济区永丰面粉厂",
        "惠济区花园口镇八堡村",
        "花园口镇",
    )
    .await;
    let (c, _) = add(&app, 23, "惠济区丰收面粉厂", "惠济区新城路", "新城街道").await;
    let office = app.login("admin", ADMIN_PASSWORD).await;

    let html = page(&office, &app, &format!("/enterprises?q={}", enc("面粉"))).await;
    assert_eq!(row_ids(&html).len(), 3);
    let row = |id: i64| {
        let start = html.find(&format!("<tr id=\"ent-{id}\"")).unwrap();
        html[start..].split("</tr>").next().unwrap().to_string()
    };
    assert!(row(a).contains("<small class=\"note same-name\">惠济区古荥镇大河村 · 古荥镇</small>"));
    assert!(row(b).contains("惠济区花园口镇八堡村 · 花园口镇"));
    assert!(
        !row(c).contains("same-name"),
        "a unique name needs no address"
    );
    // Even when the twin is filtered out, the name stays ambiguous and shows its address.
    let html = page(&office, &app, &format!("/enterprises?q={}", enc("大河村"))).await;
    assert!(html.contains("same-name"));
    // The public lookup tells them apart the same way.
    let public = app.client();
    let html = page(
        &public,
        &app,
        &format!("/public/enterprises?q={}", enc("永丰")),
    )
    .await;
    assert_eq!(
        html.matches("class=\"note same-name\"").count(),
        2,
        "{html}"
    );
    assert!(html.contains("第 1 / 1 页，共 2 条"));
}

/// The obligations list pages in SQL; its overdue view written in SQL picks exactly the
/// obligations the domain calls overdue; content words search the plan's text.
#[tokio::test]
async fn obligations_page_sort_and_keep_the_overdue_view_exact() {
    let day = NaiveDate::from_ymd_opt(2014, 12, 15).unwrap();
    let app = TestApp::with_plan_and(qcity_web::Config {
        today: Some(day),
        ..Default::default()
    })
    .await;
    for seed in app.store.demos() {
        seed(&app.store, &qcity_store::schema::DemoCtx { today: day })
            .await
            .unwrap();
    }
    let system = Actor::system("t");
    let all = obligations::list(&app.store, &system, &Filter::default(), day)
        .await
        .unwrap();
    assert!(all.len() > 100, "the demo has obligations: {}", all.len());
    for at in [day, NaiveDate::from_ymd_opt(2015, 6, 30).unwrap()] {
        let overdue = obligations::list(
            &app.store,
            &system,
            &Filter {
                overdue_only: true,
                ..Default::default()
            },
            at,
        )
        .await
        .unwrap();
        let mut got: Vec<i64> = overdue.iter().map(|o| o.id).collect();
        let mut want: Vec<i64> = all.iter().filter(|o| o.overdue(at)).map(|o| o.id).collect();
        got.sort();
        want.sort();
        assert!(!want.is_empty());
        assert_eq!(got, want, "overdue on {at}");
    }

    let office = app.login("admin", ADMIN_PASSWORD).await;
    let total = all.len();
    let pages = total.div_ceil(50);
    let html = page(&office, &app, "/obligations").await;
    assert!(
        html.contains(&format!("第 1 / {pages} 页，共 {total} 条")),
        "{total}"
    );
    assert_eq!(ob_links(&html), 50);
    let html = page(&office, &app, &format!("/obligations?page={pages}")).await;
    let last = total - (pages - 1) * 50;
    assert_eq!(ob_links(&html), last);

    // Sorted by unit both ways, the view kept in the header and pager links.
    let html = page(&office, &app, "/obligations?view=overdue&sort=due&dir=desc").await;
    assert!(html.contains("aria-sort=\"descending\""));
    assert!(html.contains("href=\"/obligations?view=overdue\" data-sort=\"due\""));
    assert!(html.contains("href=\"/obligations?view=overdue&sort=unit&dir=asc\""));
    let (desc, n) = obligations::list_page(
        &app.store,
        &system,
        &Filter::default(),
        day,
        Some(qcity_store::Order::new("o.due_date", true)),
        50,
        0,
    )
    .await
    .unwrap();
    assert_eq!(n as usize, total);
    assert!(desc.windows(2).all(|w| w[0].due_date >= w[1].due_date));
    let (asc, _) = obligations::list_page(
        &app.store,
        &system,
        &Filter::default(),
        day,
        Some(qcity_store::Order::new("o.due_date", false)),
        50,
        50,
    )
    .await
    .unwrap();
    assert!(asc.windows(2).all(|w| w[0].due_date <= w[1].due_date));

    // Words of a content's text find its obligations, and only those.
    let plan = qcity_domain::plan::default_plan();
    let content = plan.content(&all[0].content_code).unwrap();
    let words: String = content.text.chars().take(6).collect();
    let html = page(&office, &app, &format!("/obligations?q={}", enc(&words))).await;
    assert!(html.contains(&format!(">{}</a>", content.code)), "{words}");
    assert!(html.contains(&format!("name=\"q\" value=\"{words}\"")));
    let html = page(
        &office,
        &app,
        &format!("/obligations?q={}", enc("不存在的词语组合")),
    )
    .await;
    assert!(html.contains("id=\"no-rows\"") && html.contains("共 0 条"));
}

#[tokio::test]
async fn audit_users_and_sampling_lists_sort_and_page_through_the_shared_pager() {
    let app = TestApp::spawn().await;
    for n in 0..3 {
        crate::harness::create_user(
            &app.store,
            &format!("clerk{n}"),
            qcity_domain::role::Role::Office,
            None,
            crate::harness::PASSWORD,
        )
        .await;
    }
    let office = app.login("admin", ADMIN_PASSWORD).await;

    let html = page(&office, &app, "/admin/users?sort=username&dir=desc").await;
    let first = html.find("<td>clerk2</td>").unwrap();
    let last = html.find("<td>admin</td>").unwrap();
    assert!(first < last, "descending by user name");
    assert!(html.contains("第 1 / 1 页，共 4 条"));
    let html = page(&office, &app, "/admin/users?sort=password_hash").await;
    assert!(html.find("<td>admin</td>").unwrap() < html.find("<td>clerk0</td>").unwrap());

    let html = page(
        &office,
        &app,
        "/admin/audit?action=user.&sort=actor&dir=asc",
    )
    .await;
    assert!(html.contains("aria-sort=\"ascending\""));
    assert!(html.contains("href=\"/admin/audit?action=user.&sort=actor&dir=desc\""));
    assert!(html.contains("共 "));

    let html = page(&office, &app, "/sampling?failed=1&sort=product&dir=desc").await;
    assert!(html.contains("href=\"/sampling?failed=1&sort=product&dir=asc\""));
    let public = app.client();
    let html = page(&public, &app, "/public/sampling?sort=nonsense&page=-1").await;
    assert!(html.contains("第 1 / 1 页，共 0 条"));
    // No English on the Chinese pages of the lists.
    for word in ["Page ", " in all"] {
        assert!(!html.contains(word), "{word}");
    }
}

#[tokio::test]
async fn sampling_records_are_found_by_several_words_of_the_enterprise() {
    use qcity_domain::registry::{Level, ProductKind, SamplingInput, Stage, Verdict};
    let app = TestApp::spawn().await;
    let (_, code) = add(&app, 31, "郑州黄河面业有限公司", "惠济区江山路", "新城街道").await;
    let (_, other) = add(&app, 32, "郑州黄河机械厂", "金水区", "新城街道").await;
    for (n, code) in [(1, &code), (2, &other)] {
        let input = SamplingInput {
            report_no: format!("R2015-{n:03}"),
            plan: "2015年监督抽查".into(),
            level: Level::District,
            stage: Stage::Production,
            enterprise_code: code.clone(),
            enterprise_name: String::new(),
            product: "挂面".into(),
            category: "粮食加工品".into(),
            kind: ProductKind::Industrial,
            ccc: false,
            batch: "2015-01".into(),
            sampled_on: today(),
            reported_on: Some(today()),
            verdict: Verdict::Pass,
            failed_items: vec![],
            agency: "郑州市质检院".into(),
        };
        qcity_store::sampling::create(&app.store, &Actor::system("t"), &input, today())
            .await
            .unwrap();
    }
    let office = app.login("admin", ADMIN_PASSWORD).await;
    // Two words the name does not hold side by side: one record, not both.
    let html = page(&office, &app, &format!("/sampling?q={}", enc("黄河 江山"))).await;
    assert!(
        html.contains("R2015-001") && !html.contains("R2015-002"),
        "{html}"
    );
    assert!(html.contains("共 1 条"));
    // A single fragment still finds both, as before.
    let html = page(&office, &app, &format!("/sampling?q={}", enc("黄河"))).await;
    assert!(html.contains("R2015-001") && html.contains("R2015-002"));
}

/// A restored database searches like the one backed up, also from a backup made before the
/// enterprises kept search tokens (the tokens are made again on restore).
#[tokio::test]
async fn a_restored_register_is_searchable_even_from_a_backup_without_search_tokens() {
    let app = TestApp::spawn().await;
    add(&app, 41, "郑州黄河鲤鱼养殖场", "惠济区花园口", "花园口镇").await;
    let mut buf = Vec::new();
    qcity_store::backup::backup(&app.store, &mut buf)
        .await
        .unwrap();
    // The same backup as an older QCity wrote it: no search column.
    let old: String = String::from_utf8(buf.clone())
        .unwrap()
        .lines()
        .map(|line| {
            let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
            if let Some(row) = v["row"].as_object_mut() {
                row.remove("search_text");
            }
            v.to_string()
        })
        .collect::<Vec<_>>()
        .join("\n");
    for backup in [buf, old.into_bytes()] {
        let dir = tempfile::tempdir().unwrap();
        let url = crate::harness::fresh_database(dir.path()).await;
        let target = qcity_web::modules::connect(&url).await.unwrap();
        target.migrate().await.unwrap();
        qcity_store::backup::restore(&target, std::io::Cursor::new(&backup))
            .await
            .unwrap();
        assert_eq!(
            enterprises::search(
                &target,
                qcity_store::enterprises::Whose::Public(None),
                "鲤鱼 花园口",
                10,
                0
            )
            .await
            .unwrap()
            .1,
            1
        );
    }
}
