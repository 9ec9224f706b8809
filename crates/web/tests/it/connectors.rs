//! The office sees every delivery channel by its name on 通知, with a failure's error.

use crate::harness::{ADMIN_PASSWORD, TestApp, body};
use chrono::Utc;
use qcity_store::outbox::{self, NewItem};

#[tokio::test]
async fn the_outbox_names_each_channel_in_the_office_language() {
    let app = TestApp::spawn().await;
    let now = Utc::now();
    let channels = [
        (outbox::CHANNEL_EMAIL, "邮件"),
        (outbox::CHANNEL_WEBHOOK, "推送接口"),
        (outbox::CHANNEL_WECOM, "企业微信群机器人"),
        (outbox::CHANNEL_DINGTALK, "钉钉群机器人"),
        (outbox::CHANNEL_SMS, "短信"),
    ];
    for (channel, _) in channels {
        let key = format!("{channel}:test");
        let item = NewItem {
            channel,
            recipient: "13800001111",
            subject: "督办单",
            body: "{}",
            dedupe_key: &key,
        };
        assert!(
            outbox::enqueue(&app.store, &item, now)
                .await
                .expect("enqueue")
        );
    }
    let sms = outbox::pending_on(&app.store, outbox::CHANNEL_SMS, now, 10)
        .await
        .expect("pending");
    outbox::mark_failed(&app.store, sms[0].id, "SMS gateway: HTTP 503: busy", now)
        .await
        .expect("fail");

    let office = app.login("admin", ADMIN_PASSWORD).await;
    let page = body(
        office
            .get(app.url("/notices"))
            .send()
            .await
            .expect("notices"),
    )
    .await;
    for (channel, label) in channels {
        assert!(
            page.contains(&format!("<td>{label}</td>")),
            "{channel}: {page}"
        );
        assert!(!page.contains(&format!("<td>{channel}</td>")), "{page}");
    }
    assert!(page.contains("SMS gateway: HTTP 503: busy"), "{page}");
}
