//! The demo district's complaints: tickets over the months up to the business date, in every
//! state, with their histories.
//!
//! Every ticket goes through the same functions the pages call ([`super::intake`],
//! [`super::act`], [`super::set_category`]) on the dates of its history, so the clock, the
//! warnings, the credit events and the kept counts are the real ones: most older tickets closed
//! with a finding and a rating (some late), some sent back and re-dispatched, one dispatch
//! dispute, repeats merged into the first ticket, extensions, vague ones declined or classified
//! by the office, and recent ones still with their units (some overdue). Deterministic, so every
//! demo looks the same; skipped when the district already has tickets.

use super::{NewTicket, counts, registers};
use crate::demo::registers::{Lcg, demo_uscc};
use crate::{Actor, Result, Store, StoreError};
use chrono::{Datelike, Duration, NaiveDate};
use qcity_domain::complaints::ticket::{Channel, Event, Finding, Satisfaction, Status};
use qcity_domain::role::Role;
use sqlx::Row;
use std::collections::HashMap;

/// What the citizens complain about, by category: texts the classifier also recognises.
pub const TEXTS: &[(&str, &[&str])] = &[
    (
        "food",
        &[
            "超市出售过期变质的牛奶，喝了以后拉肚子",
            "饭店后厨卫生很差，饭菜里有苍蝇",
            "早餐店的包子馅有异味，怀疑肉不新鲜",
        ],
    ),
    (
        "special_equipment",
        &[
            "小区电梯经常困人，物业不管",
            "商场扶梯突然停止运行，有老人摔倒",
            "锅炉房没有年检标志，担心压力容器安全",
        ],
    ),
    (
        "product",
        &[
            "新买的电饭煲用了两次就漏电",
            "网购的电动车充电器发烫冒烟",
            "装修用的瓷砖表面开裂，质量不合格",
        ],
    ),
    (
        "metering",
        &[
            "加油站加油机计量不准，加不满",
            "菜市场的电子秤缺斤短两",
            "出租车计价器跳表太快",
        ],
    ),
    (
        "price",
        &[
            "停车场收费不明码标价，乱收费",
            "药店同一种药价格比别处贵很多，标价不一致",
            "景区门票价格上涨没有公示",
        ],
    ),
    (
        "counterfeit",
        &[
            "买到假冒名牌运动鞋，商标是仿的",
            "商店销售假冒伪劣白酒",
            "网店卖的奶粉是假货，没有防伪标识",
        ],
    ),
    (
        "service",
        &[
            "汽车维修店修车后故障依旧，拒不退费",
            "健身房办卡后关门跑路，无法退款",
            "快递服务态度差，包裹破损不赔偿",
        ],
    ),
    (
        "environment",
        &[
            "工厂夜间偷排废气，气味刺鼻",
            "洗车店污水直排路边下水道",
            "饭店油烟直排居民楼，噪声扰民",
        ],
    ),
];

/// Texts too vague to classify: they wait for the office in the triage queue.
const VAGUE: &[&str] = &["投诉商家", "质量有问题", "要求处理，没人管"];

const CHANNELS: &[(Channel, u64)] = &[
    (Channel::Hotline12345, 400),
    (Channel::Hotline12315, 300),
    (Channel::Hotline12365, 80),
    (Channel::Web, 120),
    (Channel::Letter, 60),
    (Channel::Visit, 40),
];

const SURNAMES: &[&str] = &["张", "王", "李", "赵", "刘", "陈", "杨", "黄", "周", "吴"];

/// Seeds the home district: about 300 tickets over the 14 months up to `today`, and its
/// residents for 每万人投诉量. Returns a summary line; skipped when tickets exist.
pub async fn run(store: &Store, today: NaiveDate) -> Result<String> {
    let office = Actor::system("demo-office");
    match seed(store, &office, 300, 270_000, today).await? {
        None => Ok("演示投诉工单已存在 / demo complaints already present".into()),
        Some(s) => Ok(format!(
            "演示投诉工单 / demo complaints: {} tickets ({} closed, {} open, {} merged, {} declined)",
            s.tickets, s.closed, s.open, s.merged, s.declined
        )),
    }
}

/// Seeds another district of the demo city (`district_code`) the same way with `tickets`
/// tickets, through its own office. Returns the tickets written (0 when it has some already or
/// is not in the tree).
pub async fn district(
    store: &Store,
    district_code: &str,
    tickets: usize,
    residents: i64,
    today: NaiveDate,
) -> Result<usize> {
    let tree = crate::units::tree(store).await?;
    let Some(district) = tree.by_code(district_code).cloned() else {
        return Ok(0);
    };
    let office = Actor {
        unit_id: Some(district.id),
        owner_id: Some(district.id),
        ..Actor::system("demo-office")
    };
    Ok(seed(store, &office, tickets, residents, today)
        .await?
        .map_or(0, |s| s.tickets))
}

/// What a seeding wrote.
#[derive(Debug, Default)]
struct Summary {
    tickets: usize,
    closed: usize,
    open: usize,
    merged: usize,
    declined: usize,
}

/// One district's tickets, through `office` (its district's office).
async fn seed(
    store: &Store,
    office: &Actor,
    tickets: usize,
    residents: i64,
    today: NaiveDate,
) -> Result<Option<Summary>> {
    let mut tx = store.begin().await?;
    let owner = super::owner_id(&mut tx, office).await?;
    let existing: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM complaint_tickets WHERE owner_id = $1")
            .bind(owner)
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
    tx.commit().await?;
    if existing > 0 {
        return Ok(None);
    }
    // The counts kept as of the demo date first: every event then replaces its ticket's cell
    // (an event after the kept date would recount everything, once per business date).
    if counts::as_of(store).await? != Some(today) {
        counts::rebuild(store, today).await?;
    }
    let office = Actor {
        owner_id: Some(owner),
        ..office.clone()
    };
    for year in [today.year() - 1, today.year()] {
        // A district grows a little each year.
        let grown = residents + i64::from(year - today.year() + 1) * residents / 100;
        registers::set_population(store, &office, year, grown).await?;
    }
    let mut s = Seeder {
        store,
        office,
        owner,
        today,
        rng: Lcg::new(20_141_215 + owner as u64),
        units: HashMap::new(),
        summary: Summary::default(),
    };
    s.all(tickets).await?;
    Ok(Some(s.summary))
}

struct Seeder<'a> {
    store: &'a Store,
    office: Actor,
    owner: i64,
    today: NaiveDate,
    rng: Lcg,
    /// Unit actors by code.
    units: HashMap<String, Actor>,
    summary: Summary,
}

/// What becomes of a ticket after intake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// Signed, replied, visited and closed; late when `late`.
    Close { late: bool },
    /// Sent back once, re-dispatched to another unit, then closed.
    SendBackThenClose,
    /// An extension asked and granted, then closed.
    ExtendThenClose,
    /// Closed, rated dissatisfied, and reopened: with the unit again.
    Reopen,
    /// Left at a stage with the unit: 0 dispatched, 1 signed, 2 handling, 3 replied, 4 visited.
    Stop(u8),
    /// Sent back and waiting for the office.
    SentBack,
}

impl Seeder<'_> {
    async fn all(&mut self, tickets: usize) -> Result<()> {
        // Received over the 14 months up to the business date, oldest first.
        let span = 14 * 30;
        let mut received: Vec<NaiveDate> = (0..tickets)
            .map(|_| self.today - Duration::days(self.rng.below(span) as i64))
            .collect();
        received.sort();
        let mut dispute_done = false;
        let mut i = 0;
        while i < received.len() {
            let on = received[i];
            let age = (self.today - on).num_days();
            // Every 30th ticket has a repeat a day later, merged into it (并单).
            if i % 30 == 7 && age > 3 {
                self.repeat_pair(on).await?;
                i += 2;
                continue;
            }
            // One dispatch dispute: sent back twice, waiting for the office's decision.
            if !dispute_done && age > 5 && age < 30 {
                self.dispute(on).await?;
                dispute_done = true;
                i += 1;
                continue;
            }
            if self.rng.chance(60) {
                self.vague(on).await?;
            } else {
                let plan = self.plan(age);
                self.ticket(on, plan).await?;
            }
            i += 1;
        }
        Ok(())
    }

    /// What to do with a ticket received `age` days ago: older ones mostly closed, recent
    /// ones still with their units (the older of those overdue).
    fn plan(&mut self, age: i64) -> Plan {
        let k = self.rng.below(1000);
        if age > 45 {
            match k {
                0..=699 => Plan::Close { late: false },
                700..=799 => Plan::Close { late: true },
                800..=859 => Plan::SendBackThenClose,
                860..=919 => Plan::ExtendThenClose,
                920..=949 => Plan::Reopen,
                _ => Plan::Stop(2),
            }
        } else if age > 10 {
            match k {
                0..=399 => Plan::Close { late: false },
                400..=549 => Plan::Stop(3),
                550..=649 => Plan::Stop(4),
                650..=799 => Plan::Stop(2),
                800..=899 => Plan::Stop(1),
                _ => Plan::SentBack,
            }
        } else {
            match k {
                0..=499 => Plan::Stop(0),
                500..=799 => Plan::Stop(1),
                _ => Plan::Stop(2),
            }
        }
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.rng.below(items.len())]
    }

    fn channel(&mut self) -> Channel {
        let mut k = self.rng.below(1000) as u64;
        for (c, w) in CHANNELS {
            if k < *w {
                return *c;
            }
            k -= w;
        }
        Channel::Hotline12345
    }

    fn complaint(&mut self, category: &str, text: &str) -> NewTicket {
        let n = self.rng.below(3000) as u64;
        let named = self.rng.chance(700);
        NewTicket {
            channel: Some(self.channel()),
            text: text.to_string(),
            category: Some(category.to_string()).filter(|c| !c.is_empty()),
            enterprise_code: if named { demo_uscc(n) } else { String::new() },
            address: format!("长兴路{}号", 1 + self.rng.below(300)),
            contact_name: format!("{}先生", self.pick(SURNAMES)),
            contact_phone: format!("138{:08}", self.rng.below(100_000_000)),
            ..NewTicket::default()
        }
    }

    /// A ticket of a random category, through intake on `on`.
    async fn intake(&mut self, on: NaiveDate) -> Result<super::Received> {
        let (category, texts) = self.pick(TEXTS);
        let text = self.pick(texts);
        // Some are left to the classifier, as a hotline operator leaves the category blank.
        let category = if self.rng.chance(300) { "" } else { category };
        let new = self.complaint(category, text);
        self.summary.tickets += 1;
        super::intake(self.store, &self.office, &new, on).await
    }

    /// The actor of the unit with `code`.
    async fn unit(&mut self, code: &str) -> Result<Actor> {
        if let Some(a) = self.units.get(code) {
            return Ok(a.clone());
        }
        let id: i64 = sqlx::query("SELECT id FROM org_units WHERE code = $1")
            .bind(code)
            .fetch_optional(&self.store.pool)
            .await?
            .ok_or(StoreError::NotFound)?
            .try_get("id")?;
        let actor = Actor {
            role: Some(Role::Unit),
            unit_id: Some(id),
            owner_id: Some(self.owner),
            ..Actor::system(&format!("demo:{code}"))
        };
        self.units.insert(code.to_string(), actor.clone());
        Ok(actor)
    }

    /// Applies an event on `on` unless `on` is after the business date: the ticket then
    /// stays where it is. True when applied.
    async fn step(&mut self, who: &Actor, id: i64, event: Event, on: NaiveDate) -> Result<bool> {
        if on > self.today {
            return Ok(false);
        }
        super::act(self.store, who, id, &event, on).await?;
        Ok(true)
    }

    fn later(&mut self, on: NaiveDate, min: u64, spread: usize) -> NaiveDate {
        on + Duration::days(min as i64 + self.rng.below(spread) as i64)
    }

    async fn ticket(&mut self, on: NaiveDate, plan: Plan) -> Result<()> {
        let r = self.intake(on).await?;
        let Some(code) = r.unit.clone() else {
            // Not classified: the office sets the category from the triage queue next day.
            let day = self.later(on, 1, 2);
            if day > self.today {
                self.summary.open += 1;
                return Ok(());
            }
            let (category, _) = self.pick(TEXTS);
            super::set_category(self.store, &self.office, r.id, category, day).await?;
            let code = self.unit_of(r.id).await?;
            return self.lifecycle(r.id, &code, day, plan).await;
        };
        self.lifecycle(r.id, &code, on, plan).await
    }

    /// The code of the unit handling ticket `id` now.
    async fn unit_of(&self, id: i64) -> Result<String> {
        Ok(sqlx::query(
            "SELECT u.code FROM complaint_tickets t JOIN org_units u ON u.id = t.unit_id WHERE t.id = $1",
        )
        .bind(id)
        .fetch_one(&self.store.pool)
        .await?
        .try_get("code")?)
    }

    /// A ticket's life with its unit from its dispatch on `from`, as `plan` says.
    async fn lifecycle(&mut self, id: i64, code: &str, from: NaiveDate, plan: Plan) -> Result<()> {
        let mut unit = self.unit(code).await?;
        let mut on = from;
        let office = self.office.clone();
        if plan == Plan::Stop(0) {
            self.summary.open += 1;
            return Ok(());
        }
        if matches!(plan, Plan::SendBackThenClose | Plan::SentBack) {
            on = self.later(on, 0, 2);
            let reason = Event::SendBack {
                reason: "不属于本单位职责，请改派".into(),
            };
            if !self.step(&unit, id, reason, on).await? {
                self.summary.open += 1;
                return Ok(());
            }
            if plan == Plan::SentBack {
                self.summary.open += 1;
                return Ok(());
            }
            let other = self.other_unit(code).await?;
            on = self.later(on, 1, 2);
            let event = Event::Redispatch {
                unit: other.clone(),
            };
            if !self.step(&office, id, event, on).await? {
                self.summary.open += 1;
                return Ok(());
            }
            unit = self.unit(&other).await?;
        }
        on = self.later(on, 0, 2);
        if !self.step(&unit, id, Event::Sign, on).await? || plan == Plan::Stop(1) {
            self.summary.open += 1;
            return Ok(());
        }
        on = self.later(on, 1, 3);
        if !self.step(&unit, id, Event::Handle, on).await? || plan == Plan::Stop(2) {
            self.summary.open += 1;
            return Ok(());
        }
        if plan == Plan::ExtendThenClose {
            on = self.later(on, 1, 2);
            let ask = Event::RequestExtension { days: 10 };
            if !self.step(&unit, id, ask, on).await? {
                self.summary.open += 1;
                return Ok(());
            }
            on = self.later(on, 1, 2);
            if !self.step(&office, id, Event::ApproveExtension, on).await? {
                self.summary.open += 1;
                return Ok(());
            }
        }
        // Late ones take a month or more; the others a few days to two weeks.
        on = match plan {
            Plan::Close { late: true } => self.later(on, 30, 25),
            Plan::ExtendThenClose => self.later(on, 10, 8),
            _ => self.later(on, 2, 12),
        };
        let finding = self.pick(&[
            Finding::Substantiated,
            Finding::Substantiated,
            Finding::Partly,
            Finding::Unfounded,
            Finding::Unfounded,
            Finding::Undetermined,
        ]);
        if !self.step(&unit, id, Event::Reply { finding }, on).await? || plan == Plan::Stop(3) {
            self.summary.open += 1;
            return Ok(());
        }
        on = self.later(on, 1, 3);
        let satisfaction = if plan == Plan::Reopen {
            Satisfaction::Dissatisfied
        } else {
            self.pick(&[
                Satisfaction::Satisfied,
                Satisfaction::Satisfied,
                Satisfaction::Satisfied,
                Satisfaction::Basic,
                Satisfaction::Basic,
                Satisfaction::Dissatisfied,
                Satisfaction::Unreachable,
            ])
        };
        let visit = Event::Visit { satisfaction };
        if !self.step(&office, id, visit, on).await? || plan == Plan::Stop(4) {
            self.summary.open += 1;
            return Ok(());
        }
        on = self.later(on, 0, 2);
        if !self.step(&office, id, Event::Close, on).await? {
            self.summary.open += 1;
            return Ok(());
        }
        if plan == Plan::Reopen {
            on = self.later(on, 1, 3);
            let reopen = Event::Reopen {
                reason: "投诉人对处理结果不满意，重新办理".into(),
            };
            if self.step(&office, id, reopen, on).await? {
                self.summary.open += 1;
                return Ok(());
            }
        }
        self.summary.closed += 1;
        Ok(())
    }

    /// Another unit of the district for a re-dispatch: ZJFJ's work goes to GSFJ and back.
    async fn other_unit(&mut self, code: &str) -> Result<String> {
        let to = if code.ends_with("ZJFJ") {
            "GSFJ"
        } else {
            "ZJFJ"
        };
        // The district's unit whose code ends with `to` (another district's carry a prefix).
        let found: Option<String> = sqlx::query(&format!(
            "SELECT code FROM org_units WHERE id IN {} AND code LIKE $1 ORDER BY LENGTH(code) LIMIT 1",
            crate::units_under_sql(&self.owner.to_string())
        ))
        .bind(format!("%{to}"))
        .fetch_optional(&self.store.pool)
        .await?
        .map(|r| r.try_get("code"))
        .transpose()?;
        Ok(found.unwrap_or_else(|| to.to_string()))
    }

    /// A vague complaint: in the triage queue; the office declines most of the older ones and
    /// classifies the rest.
    async fn vague(&mut self, on: NaiveDate) -> Result<()> {
        let text = self.pick(VAGUE);
        let new = self.complaint("", text);
        self.summary.tickets += 1;
        let r = super::intake(self.store, &self.office, &new, on).await?;
        if r.status != Status::Accepted {
            self.summary.open += 1;
            return Ok(());
        }
        let day = self.later(on, 1, 2);
        let office = self.office.clone();
        // The last week's wait in the triage queue for the office.
        if (self.today - on).num_days() <= 7 {
            self.summary.open += 1;
        } else if self.rng.chance(600) {
            let decline = Event::Decline {
                reason: "不属于质量投诉受理范围，已告知投诉人".into(),
            };
            self.step(&office, r.id, decline, day).await?;
            self.summary.declined += 1;
        } else {
            let (category, _) = self.pick(TEXTS);
            super::set_category(self.store, &office, r.id, category, day).await?;
            let code = self.unit_of(r.id).await?;
            let age = (self.today - day).num_days();
            let plan = self.plan(age);
            self.lifecycle(r.id, &code, day, plan).await?;
        }
        Ok(())
    }

    /// A ticket and its repeat a day later about the same enterprise, merged into it (并单);
    /// the first then runs its course.
    async fn repeat_pair(&mut self, on: NaiveDate) -> Result<()> {
        let (category, texts) = self.pick(TEXTS);
        let text = self.pick(texts);
        let first = self.complaint(category, text);
        let second = NewTicket {
            channel: Some(self.channel()),
            text: format!("{text}，至今没有解决"),
            contact_name: format!("{}女士", self.pick(SURNAMES)),
            ..first.clone()
        };
        self.summary.tickets += 2;
        let a = super::intake(self.store, &self.office, &first, on).await?;
        let next = on + Duration::days(1);
        let b = super::intake(self.store, &self.office, &second, next).await?;
        let office = self.office.clone();
        self.step(&office, b.id, Event::Merge { into: a.id }, next)
            .await?;
        self.summary.merged += 1;
        match a.unit {
            Some(code) => {
                let plan = self.plan((self.today - next).num_days());
                self.lifecycle(a.id, &code, next, plan).await
            }
            None => {
                self.summary.open += 1;
                Ok(())
            }
        }
    }

    /// A ticket sent back twice: a dispatch dispute for the office to decide.
    async fn dispute(&mut self, on: NaiveDate) -> Result<()> {
        let text = "小区门口商铺销售的电热水器漏电，商家说不归他们管";
        let new = self.complaint("product", text);
        self.summary.tickets += 1;
        self.summary.open += 1;
        let r = super::intake(self.store, &self.office, &new, on).await?;
        let Some(code) = r.unit else {
            return Ok(());
        };
        let first = self.unit(&code).await?;
        let back = |reason: &str| Event::SendBack {
            reason: reason.into(),
        };
        let day = on + Duration::days(1);
        self.step(&first, r.id, back("属于工商部门职责"), day)
            .await?;
        let other = self.other_unit(&code).await?;
        let office = self.office.clone();
        let day = day + Duration::days(1);
        let redispatch = Event::Redispatch {
            unit: other.clone(),
        };
        self.step(&office, r.id, redispatch, day).await?;
        let second = self.unit(&other).await?;
        let day = day + Duration::days(1);
        self.step(&second, r.id, back("属于质监部门职责，不予接收"), day)
            .await?;
        Ok(())
    }
}
