//! Sign-in, forced password change, lockout, sessions, language, tokens.

use crate::harness::{ADMIN_PASSWORD, PASSWORD, TestApp, body, create_user};
use qcity_domain::role::Role;
use qcity_store::Actor;
use qcity_store::signin;
use qcity_store::users::{self, NewUser};

#[tokio::test]
async fn one_time_password_forces_a_change_before_anything_else() {
    let app = TestApp::spawn().await;
    users::create(
        &app.store,
        &Actor::system("test"),
        NewUser {
            username: "clerk",
            display_name: "",
            role: Role::Office,
            unit_code: None,
            password: "Temp-Pass-99",
            must_change_password: true,
        },
    )
    .await
    .unwrap();
    let c = app.client();
    let res = c
        .post(app.url("/login"))
        .form(&[("username", "clerk"), ("password", "Temp-Pass-99")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/password");
    // Every other page sends the user back to the password form.
    let res = c.get(app.url("/admin/users")).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/password");
    // A weak password is refused next to its field, in Chinese by default.
    let res = c
        .post(app.url("/password"))
        .form(&[
            ("current", "Temp-Pass-99"),
            ("new_password", "short"),
            ("confirm", "short"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = body(res).await;
    assert!(html.contains("密码至少需要 8 位"), "{html}");
    // A wrong current password is refused too.
    let res = c
        .post(app.url("/password"))
        .form(&[
            ("current", "nope"),
            ("new_password", "Brand-New-Pass1"),
            ("confirm", "Brand-New-Pass1"),
        ])
        .send()
        .await
        .unwrap();
    assert!(body(res).await.contains("当前密码不正确"));
    let res = c
        .post(app.url("/password"))
        .form(&[
            ("current", "Temp-Pass-99"),
            ("new_password", "Brand-New-Pass1"),
            ("confirm", "Brand-New-Pass1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let res = c.get(app.url("/admin/users")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(body(res).await.contains("clerk"));
    // The old password no longer works; the new one does.
    let fresh = app.client();
    let res = fresh
        .post(app.url("/login"))
        .form(&[("username", "clerk"), ("password", "Temp-Pass-99")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    app.login("clerk", "Brand-New-Pass1").await;
}

#[tokio::test]
async fn five_failures_lock_the_account_for_everyone() {
    let app = TestApp::spawn().await;
    create_user(&app.store, "target", Role::Unit, Some("NW"), PASSWORD).await;
    let c = app.client();
    for i in 0..5 {
        let res = c
            .post(app.url("/login"))
            .form(&[("username", "target"), ("password", "wrong")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "attempt {i}");
        let html = body(res).await;
        if i < 4 {
            assert!(html.contains("用户名或密码不正确"), "{html}");
        } else {
            assert!(html.contains("已锁定"), "{html}");
        }
    }
    // Even the right password is refused while locked.
    let res = c
        .post(app.url("/login"))
        .form(&[("username", "target"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(body(res).await.contains("已锁定"));
    // The lock holds for the account from any address.
    let elsewhere = signin::authenticate(&app.store, "target", PASSWORD, "10.0.0.9", "r1").await;
    assert!(
        matches!(elsewhere, Err(signin::LoginError::Locked { .. })),
        "{elsewhere:?}"
    );
    // An office reset lifts the account lock.
    users::set_password(
        &app.store,
        &Actor::system("test"),
        "target",
        "Fresh-Pass-2015",
        false,
    )
    .await
    .unwrap();
    let ok = signin::authenticate(&app.store, "target", "Fresh-Pass-2015", "10.0.0.9", "r2").await;
    assert!(ok.is_ok(), "{ok:?}");
}

#[tokio::test]
async fn an_address_with_failures_is_slowed_down_not_locked_out() {
    // Five typos by anyone behind an office's NAT.
    let app = TestApp::spawn().await;
    let c = app.client();
    for name in ["a1x", "a2x", "a3x", "a4x", "a5x"] {
        c.post(app.url("/login"))
            .form(&[("username", name), ("password", "wrong")])
            .send()
            .await
            .unwrap();
    }
    // The next attempt from the address waits a second; it is not a 15-minute lock.
    let res = c
        .post(app.url("/login"))
        .form(&[("username", "admin"), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = body(res).await;
    assert!(
        html.contains("1 秒后再试") && !html.contains("已锁定"),
        "{html}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let res = c
        .post(app.url("/login"))
        .form(&[("username", "admin"), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "{}", body(res).await);
    let (recs, _) = qcity_store::audit::list(
        &app.store,
        &Actor::system("test"),
        &qcity_store::audit::Filter {
            action: Some("auth.login_failed".into()),
            limit: 50,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(recs.len(), 5, "each failure is audited");
    // Each further failure doubles the wait.
    let mut waits = Vec::new();
    for i in 0..7 {
        let name = format!("b{i}x");
        match signin::authenticate(&app.store, &name, "wrong", "10.3.3.3", "r").await {
            Err(signin::LoginError::Invalid) => {}
            other => panic!("attempt {i}: {other:?}"),
        }
        if let Err(signin::LoginError::Slowed { seconds }) =
            signin::authenticate(&app.store, "admin", ADMIN_PASSWORD, "10.3.3.3", "r").await
        {
            waits.push(seconds);
            if i < 6 {
                tokio::time::sleep(std::time::Duration::from_secs(seconds as u64)).await;
            }
        }
    }
    assert_eq!(
        waits,
        vec![1, 2, 4],
        "delays after the 5th, 6th and 7th failure"
    );
}

#[tokio::test]
async fn correct_sign_ins_sent_at_once_from_one_address_all_succeed() {
    let app = TestApp::spawn().await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (c, url) = (app.client(), app.url("/login"));
        tasks.push(tokio::spawn(async move {
            let res = c
                .post(url)
                .form(&[("username", "admin"), ("password", ADMIN_PASSWORD)])
                .send()
                .await
                .unwrap();
            res.status().as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(statuses, vec![303; 8]);
}

#[tokio::test]
async fn failures_expire_after_their_window() {
    let app = TestApp::spawn().await;
    create_user(&app.store, "target", Role::Unit, Some("NW"), PASSWORD).await;
    let guess = |i: usize| {
        let store = app.store.clone();
        async move { signin::authenticate(&store, "target", "wrong", &format!("10.4.0.{i}"), "r").await }
    };
    for i in 0..4 {
        assert_eq!(guess(i).await.unwrap_err(), signin::LoginError::Invalid);
    }
    // Sixteen minutes later (the window is fifteen) the four failures no longer count.
    let old = qcity_store::time_text(chrono::Utc::now() - chrono::Duration::minutes(16));
    sqlx::query("UPDATE sign_in_guard SET window_start = $1 WHERE key = 'user:target'")
        .bind(&old)
        .execute(&app.store.pool)
        .await
        .unwrap();
    for i in 4..8 {
        assert_eq!(guess(i).await.unwrap_err(), signin::LoginError::Invalid);
    }
    let ok = signin::authenticate(&app.store, "target", PASSWORD, "10.4.1.1", "r").await;
    assert!(ok.is_ok(), "{ok:?}");
}

#[tokio::test]
async fn unknown_and_known_names_get_the_same_answers_in_similar_time() {
    let app = TestApp::spawn().await;
    create_user(&app.store, "known", Role::Unit, Some("NW"), PASSWORD).await;
    let mut answers: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    let mut fastest: std::collections::BTreeMap<&str, std::time::Duration> = Default::default();
    // Interleaved, so that the machine's load weighs on both names alike.
    for i in 0..6 {
        for (n, name) in ["known", "ghost"].into_iter().enumerate() {
            let ip = format!("10.5.{n}.{i}");
            let started = std::time::Instant::now();
            let res = signin::authenticate(&app.store, name, "Wrong-Pass-1", &ip, "r").await;
            if i < 5 {
                // Only attempts that reach the password check are timed.
                let best = fastest.entry(name).or_insert(std::time::Duration::MAX);
                *best = (*best).min(started.elapsed());
            }
            answers.entry(name).or_default().push(match res {
                Err(signin::LoginError::Invalid) => "invalid",
                Err(signin::LoginError::Locked { .. }) => "locked",
                other => panic!("{name}: {other:?}"),
            });
        }
    }
    let expected = vec![
        "invalid", "invalid", "invalid", "invalid", "locked", "locked",
    ];
    assert_eq!(answers["known"], expected);
    assert_eq!(answers["ghost"], expected);
    let ratio = fastest["ghost"].as_secs_f64() / fastest["known"].as_secs_f64();
    println!(
        "fastest failed check: known {:?}, unknown {:?} (ratio {ratio:.2})",
        fastest["known"], fastest["ghost"]
    );
    assert!((0.5..2.0).contains(&ratio), "ratio {ratio:.2}");
}

#[tokio::test]
async fn sign_in_issues_a_new_session_id_and_sign_out_ends_it() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let first = c
        .post(app.url("/login"))
        .form(&[("username", "admin"), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    let sid1 = session_cookie(&first);
    let second = c
        .post(app.url("/login"))
        .form(&[("username", "admin"), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    let sid2 = session_cookie(&second);
    assert_ne!(sid1, sid2);
    let cookie = first
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join(";");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    // The first session ended when the second began.
    let stale = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = stale
        .get(app.url("/"))
        .header("cookie", format!("qcity_sid={sid1}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let res = stale
        .get(app.url("/"))
        .header("cookie", format!("qcity_sid={sid2}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    c.post(app.url("/logout")).send().await.unwrap();
    let res = stale
        .get(app.url("/"))
        .header("cookie", format!("qcity_sid={sid2}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "signed out");
    let filter = qcity_store::audit::Filter {
        action: Some("auth.logout".into()),
        limit: 5,
        ..Default::default()
    };
    let (recs, _) = qcity_store::audit::list(&app.store, &Actor::system("t"), &filter)
        .await
        .unwrap();
    assert_eq!(
        (recs.len(), recs[0].actor.as_str()),
        (1, "admin"),
        "sign-out is recorded"
    );
}

fn session_cookie(res: &reqwest::Response) -> String {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("qcity_sid="))
        .and_then(|v| v.split(';').next())
        .expect("session cookie")
        .to_string()
}

#[tokio::test]
async fn an_idle_session_expires() {
    let config = qcity_web::Config {
        idle_timeout: chrono::Duration::seconds(1),
        ..Default::default()
    };
    let app = TestApp::spawn_with(config).await;
    let c = app.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(c.get(app.url("/")).send().await.unwrap().status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let res = c.get(app.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login")
    );
}

#[tokio::test]
async fn the_language_switch_changes_every_string() {
    let app = TestApp::spawn().await;
    let c = app.login("admin", ADMIN_PASSWORD).await;
    let zh = body(c.get(app.url("/admin/users")).send().await.unwrap()).await;
    assert!(zh.contains("账号管理") && zh.contains("lang=\"zh-CN\""));
    let res = c
        .post(app.url("/lang"))
        .form(&[("lang", "en"), ("back", "/admin/users")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/admin/users");
    let en = body(c.get(app.url("/admin/users")).send().await.unwrap()).await;
    assert!(
        en.contains("Accounts") && en.contains("lang=\"en\"") && !en.contains("账号管理"),
        "{en}"
    );
    // A hostile "back" is never followed off-site.
    let res = c
        .post(app.url("/lang"))
        .form(&[("lang", "zh-CN"), ("back", "//evil.example/")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/");
}

#[tokio::test]
async fn the_office_creates_a_unit_account_with_a_one_time_password() {
    let app = TestApp::spawn().await;
    let c = app.login("admin", ADMIN_PASSWORD).await;
    let res = c
        .post(app.url("/admin/users"))
        .form(&[
            ("username", "nw.staff"),
            ("display_name", "张三"),
            ("role", "unit"),
            ("unit", "NW"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = body(res).await;
    let pw = html
        .split("id=\"one-time-password\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("password shown")
        .to_string();
    let staff = app.client();
    let res = staff
        .post(app.url("/login"))
        .form(&[("username", "nw.staff"), ("password", pw.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/password");
    // A unit account without a unit is refused beside the unit field.
    let res = c
        .post(app.url("/admin/users"))
        .form(&[("username", "nobody"), ("role", "unit"), ("unit", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = body(res).await;
    assert!(
        html.contains("id=\"unit-error\">成员单位角色必须选择所属单位"),
        "{html}"
    );
    // Duplicate usernames are refused, and nothing else changed.
    let res = c
        .post(app.url("/admin/users"))
        .form(&[("username", "nw.staff"), ("role", "leader")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(users::count(&app.store).await.unwrap(), 2);
}

#[tokio::test]
async fn api_tokens_authenticate_and_bad_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let token = users::create_token(&app.store, &Actor::system("test"), "admin", "ci")
        .await
        .unwrap();
    let c = reqwest::Client::new();
    let me: serde_json::Value = c
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "admin");
    assert_eq!(me["role"], "office");
    let res = c
        .get(app.url("/api/v1/me"))
        .bearer_auth("qct_wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let err: serde_json::Value = res.json().await.unwrap();
    assert_eq!(err["error"], "unauthorized");
    assert_eq!(err["message"], "请先登录");
    let res = c
        .get(app.url("/api/v1/me"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap()["message"],
        "Please sign in"
    );
}

#[tokio::test]
async fn public_sign_in_posts_are_rate_limited() {
    let config = qcity_web::Config {
        public_posts_per_minute: 3,
        ..Default::default()
    };
    let app = TestApp::spawn_with(config).await;
    let c = app.client();
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let res = c
            .post(app.url("/login"))
            .form(&[("username", ""), ("password", "")])
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
    }
    assert_eq!(statuses, vec![422, 422, 422, 429, 429]);
}

#[tokio::test]
async fn attempts_sent_at_once_cannot_outrun_the_lockout() {
    let app = TestApp::spawn().await;
    create_user(&app.store, "victim", Role::Unit, Some("NW"), PASSWORD).await;
    // Sixty guesses at once, each from its own address, the right password among them.
    let mut tasks = Vec::new();
    for i in 0..60 {
        let store = app.store.clone();
        let password = if i == 30 {
            PASSWORD.to_string()
        } else {
            format!("guess-{i}")
        };
        tasks.push(tokio::spawn(async move {
            signin::authenticate(&store, "victim", &password, &format!("10.9.{i}.9"), "r").await
        }));
    }
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.unwrap());
    }
    // Every check writes one audit record (sign-in, failure or lockout): count the checks.
    let (recs, _) = qcity_store::audit::list(
        &app.store,
        &Actor::system("t"),
        &qcity_store::audit::Filter {
            action: Some("auth.".into()),
            limit: 100,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let checked = recs.len();
    let signed_in = results.iter().filter(|r| r.is_ok()).count();
    println!("60 simultaneous attempts: {checked} password checks, {signed_in} signed in");
    if signed_in == 0 {
        // The right password was not among the first five claims: five checks, then the lock.
        assert_eq!(checked, 5, "{results:?}");
        let locked = results
            .iter()
            .filter(|r| matches!(r, Err(signin::LoginError::Locked { .. })))
            .count();
        assert_eq!(locked, 56, "{results:?}");
    } else {
        // It was: its success freed the places of the guesses still waiting, as for the owner.
        assert!(checked <= 10, "{checked} checks");
    }
}

#[tokio::test]
async fn hostile_input_does_not_reach_redirects_or_the_audit_trail() {
    let app = TestApp::spawn().await;
    let c = app.login("admin", ADMIN_PASSWORD).await;
    // A tab after the slash would become "//evil.example" in a browser.
    let res = c
        .get(app.url("/login?next=%2F%09%2Fevil.example"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/");
    // A huge username is not stored as given; a client-chosen request id is not used.
    let huge = "x".repeat(100_000);
    let anon = app.client();
    anon.post(app.url("/login"))
        .header("x-request-id", "FORGED-0001")
        .form(&[("username", huge.as_str()), ("password", "p")])
        .send()
        .await
        .unwrap();
    let (recs, _) = qcity_store::audit::list(
        &app.store,
        &Actor::system("t"),
        &qcity_store::audit::Filter {
            action: Some("auth.login_failed".into()),
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(recs[0].target_id, "<invalid>");
    assert_ne!(recs[0].request_id, "FORGED-0001");
    assert_eq!(recs[0].request_id.len(), 16);
}

#[test]
fn the_client_address_is_taken_from_a_trusted_proxy_only() {
    use qcity_web::ctx::client_ip;
    let proxy: std::net::IpAddr = "10.0.0.1".parse().unwrap();
    let mut h = axum::http::HeaderMap::new();
    h.insert("x-forwarded-for", "203.0.113.9, 10.0.0.1".parse().unwrap());
    assert_eq!(client_ip(Some(proxy), &h, &[proxy]), "203.0.113.9");
    // An untrusted peer cannot claim another address.
    let peer: std::net::IpAddr = "198.51.100.7".parse().unwrap();
    assert_eq!(client_ip(Some(peer), &h, &[proxy]), "198.51.100.7");
    assert_eq!(
        client_ip(Some(proxy), &axum::http::HeaderMap::new(), &[proxy]),
        "10.0.0.1"
    );
}

#[tokio::test]
async fn the_same_account_created_twice_at_once_is_one_account_and_a_clear_refusal() {
    let app = TestApp::spawn().await;
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let store = app.store.clone();
        tasks.push(tokio::spawn(async move {
            users::create(
                &store,
                &Actor::system("t"),
                NewUser {
                    username: "twin",
                    display_name: "",
                    role: Role::Leader,
                    unit_code: None,
                    password: "Twin-Pass-2014",
                    must_change_password: true,
                },
            )
            .await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(qcity_store::StoreError::Invalid { code, .. }) => {
                assert_eq!(code, "error-username-taken")
            }
            Err(e) => panic!("an internal error instead of a refusal: {e}"),
        }
    }
    assert_eq!(ok, 1);
}

#[tokio::test]
async fn guessing_the_current_password_in_an_open_session_locks_the_account() {
    let app = TestApp::spawn().await;
    let c = app.user("desk", Role::Leader, None).await;
    for i in 0..5 {
        let res = c
            .post(app.url("/password"))
            .form(&[
                ("current", format!("wrong-{i}").as_str()),
                ("new_password", "Another-Pass-9"),
                ("confirm", "Another-Pass-9"),
            ])
            .send()
            .await
            .unwrap();
        if i < 4 {
            assert_eq!(res.status(), 422, "attempt {i}");
        }
    }
    // The fifth wrong guess locked the account and ended its sessions.
    let res = c.get(app.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let err = signin::authenticate(&app.store, "desk", PASSWORD, "10.1.1.1", "r")
        .await
        .unwrap_err();
    assert!(matches!(err, signin::LoginError::Locked { .. }), "{err:?}");
}

#[tokio::test]
async fn tokens_are_revoked_on_request_and_by_an_office_reset() {
    let app = TestApp::spawn().await;
    create_user(&app.store, "robot", Role::Leader, None, PASSWORD).await;
    let office = Actor::system("t");
    let c = reqwest::Client::new();
    let t1 = users::create_token(&app.store, &office, "robot", "a")
        .await
        .unwrap();
    assert_eq!(
        c.get(app.url("/api/v1/me"))
            .bearer_auth(&t1)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        users::revoke_tokens(&app.store, &office, "robot")
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        c.get(app.url("/api/v1/me"))
            .bearer_auth(&t1)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let t2 = users::create_token(&app.store, &office, "robot", "b")
        .await
        .unwrap();
    users::set_password(&app.store, &office, "robot", "Reset-Pass-2015", true)
        .await
        .unwrap();
    assert_eq!(
        c.get(app.url("/api/v1/me"))
            .bearer_auth(&t2)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

/// The status `/api/v1/me` answers with a bearer token.
async fn me_status(app: &TestApp, token: &str) -> u16 {
    reqwest::Client::new()
        .get(app.url("/api/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn tokens_end_with_the_owners_password_change_and_with_a_disable_for_good() {
    let app = TestApp::spawn().await;
    create_user(&app.store, "robot", Role::Leader, None, PASSWORD).await;
    let office = Actor::system("t");
    let robot = users::get(&app.store, &office, "robot")
        .await
        .unwrap()
        .actor("127.0.0.1", "t");
    let t1 = users::create_token(&app.store, &robot, "robot", "own")
        .await
        .unwrap();
    assert_eq!(me_status(&app, &t1).await, 200);
    // The owner changes their own password: the token made with the old one ends.
    users::set_password(&app.store, &robot, "robot", "Own-New-Pass-2015", false)
        .await
        .unwrap();
    assert_eq!(me_status(&app, &t1).await, 401);
    // Disabling ends the tokens; enabling the account again does not bring them back.
    let t2 = users::create_token(&app.store, &office, "robot", "ci")
        .await
        .unwrap();
    assert_eq!(me_status(&app, &t2).await, 200);
    users::set_disabled(&app.store, &office, "robot", true)
        .await
        .unwrap();
    assert_eq!(me_status(&app, &t2).await, 401);
    users::set_disabled(&app.store, &office, "robot", false)
        .await
        .unwrap();
    assert_eq!(me_status(&app, &t2).await, 401, "revived by the re-enable");
    let t3 = users::create_token(&app.store, &office, "robot", "new")
        .await
        .unwrap();
    assert_eq!(me_status(&app, &t3).await, 200, "a new token works");
}

#[tokio::test]
async fn an_account_that_must_change_its_password_cannot_use_a_token() {
    let app = TestApp::spawn().await;
    let office = Actor::system("t");
    users::create(
        &app.store,
        &office,
        NewUser {
            username: "newbie",
            display_name: "",
            role: Role::Leader,
            unit_code: None,
            password: "Temp-Pass-99",
            must_change_password: true,
        },
    )
    .await
    .unwrap();
    let token = users::create_token(&app.store, &office, "newbie", "early")
        .await
        .unwrap();
    let c = reqwest::Client::new();
    for (lang, message) in [
        ("zh-CN", "请先修改初始密码"),
        ("en", "Change your initial password first"),
    ] {
        let res = c
            .get(app.url("/api/v1/indicators"))
            .bearer_auth(&token)
            .header("accept-language", lang)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);
        assert_eq!(res.headers()["cache-control"], "no-store");
        let err: serde_json::Value = res.json().await.unwrap();
        assert_eq!(err["error"], "must_change_password", "{err}");
        assert_eq!(err["message"], message, "{err}");
        assert!(!err["detail"].as_str().unwrap().is_empty(), "{err}");
    }
    assert_eq!(me_status(&app, &token).await, 403);
}
