//! Demo registers: a few thousand enterprises of 惠济区 with valid codes, two years of
//! supervision sampling (so the product indicators compute), credit events, and one enterprise
//! on the published blacklist. Deterministic, so every demo looks the same.

use crate::Result;
use crate::credit::{self, NewEvent};
use crate::enterprises::{self, EnterpriseInput, EnterpriseRow, LicenceInput, Whose};
use crate::import::{self, Import};
use crate::sampling::SamplingInput;
use crate::{Actor, Store};
use chrono::{Datelike, Duration, NaiveDate};
use qcity_domain::credit::{EventKind, ListingAction};
use qcity_domain::identifiers::{org_code_check_char, uscc_check_char};
use qcity_domain::registry::{
    CodeList, FailedItem, Level, LicenceKind, ProductKind, Size, Stage, Verdict,
};

/// A small deterministic generator (no need for a crate: quality of randomness is irrelevant).
pub struct Lcg(u64);

impl Lcg {
    pub fn new(seed: u64) -> Self {
        Lcg(seed)
    }
    fn step(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.step() % n.max(1) as u64) as usize
    }
    pub fn chance(&mut self, per_thousand: u64) -> bool {
        self.step() % 1000 < per_thousand
    }
}

/// A valid USCC for 惠济区 (division 410108) built from a number.
pub fn demo_uscc(n: u64) -> String {
    division_uscc("410108", n)
}

/// A valid USCC of an administrative division built from a number.
pub fn division_uscc(division: &str, n: u64) -> String {
    let org_body = format!("{:08}", 30_000_000 + n);
    let org_check = org_code_check_char(&org_body).unwrap_or('0');
    let body = format!("91{division}{org_body}{org_check}");
    let check = uscc_check_char(&body).unwrap_or('0');
    format!("{body}{check}")
}

const TOWNS: &[&str] = &[
    "花园口镇",
    "古荥镇",
    "新城街道",
    "长兴路街道",
    "迎宾路街道",
    "大河路街道",
    "刘寨街道",
    "老鸦陈街道",
];
const WORDS: &[&str] = &[
    "惠丰", "黄河", "金禾", "中原", "豫兴", "鑫源", "华盛", "宏达", "康泰", "正元", "天成", "嘉禾",
    "恒信", "瑞丰", "永安", "博瑞",
];
const TRADES: &[(&str, &str)] = &[
    ("食品", "食品制造业"),
    ("电线电缆", "电气机械和器材制造业"),
    ("建材", "非金属矿物制品业"),
    ("家具", "家具制造业"),
    ("农业", "农业"),
    ("电器", "电气机械和器材制造业"),
    ("塑料制品", "橡胶和塑料制品业"),
    ("服装", "纺织服装、服饰业"),
];

/// (category, kind, ccc, failed item with its standard)
const CATEGORIES: &[(&str, ProductKind, bool, &str, &str)] = &[
    (
        "电线电缆",
        ProductKind::Industrial,
        true,
        "导体电阻",
        "GB/T 3956-2008",
    ),
    (
        "家用电器",
        ProductKind::Industrial,
        true,
        "防触电保护",
        "GB 4706.1-2005",
    ),
    (
        "建筑用钢筋",
        ProductKind::Industrial,
        false,
        "屈服强度",
        "GB/T 1499.2-2018",
    ),
    (
        "人造板",
        ProductKind::Industrial,
        false,
        "甲醛释放量",
        "GB 18580-2017",
    ),
    (
        "塑料管材",
        ProductKind::Industrial,
        false,
        "静液压强度",
        "GB/T 10002.1-2006",
    ),
    (
        "食用植物油",
        ProductKind::Food,
        false,
        "酸价",
        "GB 2716-2018",
    ),
    ("糕点", ProductKind::Food, false, "菌落总数", "GB 7099-2015"),
    (
        "速冻面米食品",
        ProductKind::Food,
        false,
        "过氧化值",
        "GB 19295-2011",
    ),
    (
        "蔬菜",
        ProductKind::Agricultural,
        false,
        "毒死蜱",
        "GB 2763-2014",
    ),
    (
        "畜禽肉",
        ProductKind::Agricultural,
        false,
        "克伦特罗",
        "农业部公告第235号",
    ),
];

pub const ENTERPRISES: u64 = 3000;

/// Fills the registers unless they already hold enterprises. Returns a summary line.
pub async fn run(store: &Store, today: NaiveDate) -> Result<String> {
    let office = Actor::system("demo-office");
    let (_, existing) = enterprises::search(store, Whose::Actor(&office), "", 1, 0).await?;
    if existing > 0 {
        return Ok("演示企业与抽查数据已存在 / demo registers already present".into());
    }
    let mut rng = Lcg::new(20141215);
    let mut rows = Vec::new();
    for n in 0..ENTERPRISES {
        let (trade, industry) = TRADES[rng.below(TRADES.len())];
        let name = format!(
            "郑州{}{}{}有限公司",
            WORDS[rng.below(WORDS.len())],
            WORDS[rng.below(WORDS.len())],
            trade
        );
        // 85 % have a credit file; opened over 2013–2014.
        let file_opened = rng.chance(850).then(|| {
            NaiveDate::from_ymd_opt(2013, 1, 1).unwrap_or_default()
                + Duration::days(rng.below(700) as i64)
        });
        let size = [
            Size::Large,
            Size::Medium,
            Size::Small,
            Size::Small,
            Size::Micro,
        ][rng.below(5)];
        let licence = match trade {
            "电线电缆" | "电器" => Some(LicenceKind::Ccc),
            "食品" => Some(LicenceKind::Food),
            "建材" => Some(LicenceKind::Production),
            _ => None,
        }
        .map(|kind| {
            let issued = NaiveDate::from_ymd_opt(2010, 1, 1).unwrap_or_default()
                + Duration::days(rng.below(1500) as i64);
            LicenceInput {
                kind,
                number: format!("{}-{:06}", kind.code().to_uppercase(), n),
                product: trade.to_string(),
                issued: Some(issued),
                expires: Some(issued + Duration::days(365 * 5)),
            }
        });
        rows.push((
            n as usize + 2,
            EnterpriseRow {
                enterprise: EnterpriseInput {
                    code: demo_uscc(n),
                    name,
                    address: format!(
                        "郑州市惠济区{}{}号",
                        TOWNS[rng.below(TOWNS.len())],
                        1 + rng.below(300)
                    ),
                    industry: industry.to_string(),
                    size: Some(size),
                    town: TOWNS[rng.below(TOWNS.len())].to_string(),
                    chief_quality_officer: if size == Size::Large {
                        "质量总监".into()
                    } else {
                        String::new()
                    },
                    contact: format!("0371-63{:06}", rng.below(1_000_000)),
                    file_opened,
                },
                licence,
            },
        ));
    }
    let e = import::run(store, &office, "demo", today, rows).await?;

    // Two years of sampling; pass rates a little under target for food in 2014.
    let mut import = Import::<SamplingInput>::begin(store, &office, "demo", today).await?;
    let mut count = 0;
    for year in [2013, 2014] {
        for i in 0..1200u64 {
            let n = rng.below(ENTERPRISES as usize) as u64;
            let (category, kind, ccc, item, standard) = CATEGORIES[rng.below(CATEGORIES.len())];
            let level = [
                Level::National,
                Level::Provincial,
                Level::City,
                Level::District,
                Level::District,
            ][rng.below(5)];
            let stage = if rng.chance(700) {
                Stage::Production
            } else {
                Stage::Circulation
            };
            let fail_rate = match (year, kind) {
                (2014, ProductKind::Food) => 70,
                (_, ProductKind::Agricultural) => 25,
                (2013, _) => 80,
                _ => 45,
            };
            let failed = rng.chance(fail_rate);
            // Reported 20 days after sampling, both by the business date.
            let sampled_on = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default()
                + Duration::days(rng.below(if year == today.year() {
                    (today.ordinal0() as usize).saturating_sub(20).max(1)
                } else {
                    345
                }) as i64);
            import
                .push(
                    i as usize + 2,
                    SamplingInput {
                        report_no: format!("HJ{year}-{:05}", i + 1),
                        plan: format!("{year}年{}监督抽查", level_word(level)),
                        level,
                        stage,
                        enterprise_code: demo_uscc(n),
                        enterprise_name: String::new(),
                        product: format!("{category}（演示）"),
                        category: category.to_string(),
                        kind,
                        ccc,
                        batch: format!("{}", 20_000 + rng.below(9000)),
                        sampled_on,
                        reported_on: Some(sampled_on + Duration::days(20)),
                        verdict: if failed { Verdict::Fail } else { Verdict::Pass },
                        failed_items: if failed {
                            vec![FailedItem {
                                item: item.into(),
                                standard: standard.into(),
                            }]
                        } else {
                            vec![]
                        },
                        agency: "郑州市产品质量监督检验院".into(),
                    },
                )
                .await?;
            count += 1;
        }
    }
    import.finish().await?;

    // One enterprise with repeated failures and a serious penalty: proposed and listed.
    let code = demo_uscc(7);
    if let Some(ent) = enterprises::by_code(store, Whose::Actor(&office), &code).await? {
        for (d, summary) in [(
            "2014-03-10",
            "惠济区质监分局行政处罚：生产销售不合格电线电缆（情节严重）",
        )] {
            credit::add_event(
                store,
                &office,
                ent.id,
                &NewEvent {
                    kind: EventKind::Penalty,
                    occurred_on: NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap_or_default(),
                    serious: true,
                    summary: summary.into(),
                },
                &[],
                today,
            )
            .await?;
        }
        credit::add_event(
            store,
            &office,
            demo_award_target(store).await?.unwrap_or(ent.id),
            &NewEvent {
                kind: EventKind::Award,
                occurred_on: NaiveDate::from_ymd_opt(2014, 9, 15).unwrap_or_default(),
                serious: false,
                summary: "荣获郑州市质量奖".into(),
            },
            &[],
            today,
        )
        .await?;
        let listed_on = NaiveDate::from_ymd_opt(2014, 4, 1).unwrap_or_default();
        let id = credit::propose(
            store,
            &office,
            ent.id,
            "生产销售不合格电线电缆，情节严重，已受行政处罚（演示）",
            NaiveDate::from_ymd_opt(2014, 3, 20).unwrap_or_default(),
        )
        .await?;
        let _ = credit::act(
            store,
            &office,
            id,
            0,
            ListingAction::Approve,
            "经审核，列入质量失信黑名单",
            listed_on,
        )
        .await?;
    }
    // Failed results reviewed for the public portal, but for the latest few, which wait for the
    // office's review.
    let waiting = crate::sampling::awaiting_disclosure(store).await?;
    let keep = waiting.len().saturating_sub(6);
    crate::sampling::disclose(store, &office, &waiting[..keep], today).await?;
    Ok(format!(
        "演示企业与抽查 / demo registers: {} enterprises, {count} sampling records ({} failed results awaiting disclosure review), 1 blacklisted",
        e.created,
        waiting.len() - keep
    ))
}

async fn demo_award_target(store: &Store) -> Result<Option<i64>> {
    let office = Actor::system("demo-office");
    Ok(
        enterprises::by_code(store, Whose::Actor(&office), &demo_uscc(11))
            .await?
            .map(|e| e.id),
    )
}

/// A district of the demo city's own registers: `enterprises` enterprises (codes of its
/// administrative `division`), a year of sampling of them failing `fail_per_thousand`, their
/// failed results reviewed for the public portal, and the worst enterprise on the blacklist;
/// so the city's roll-up compares districts with different pass rates. Written through the
/// district office's own imports. A second run (or a district not in the tree) adds nothing.
/// Returns the sampling records written.
pub async fn district_registers(
    store: &Store,
    district_code: &str,
    division: &str,
    enterprises_count: u64,
    fail_per_thousand: u64,
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
    let (_, existing) = enterprises::search(store, Whose::Actor(&office), "", 1, 0).await?;
    if existing > 0 {
        return Ok(0);
    }
    let mut rng = Lcg::new(fail_per_thousand * 7919 + enterprises_count);
    let place = district.name.clone();
    let rows: Vec<(usize, EnterpriseRow)> = (0..enterprises_count)
        .map(|n| {
            let (trade, industry) = TRADES[rng.below(TRADES.len())];
            let town = TOWNS[rng.below(TOWNS.len())];
            (
                n as usize + 2,
                EnterpriseRow {
                    enterprise: EnterpriseInput {
                        code: division_uscc(division, n),
                        name: format!(
                            "郑州{}{}{}有限公司",
                            WORDS[rng.below(WORDS.len())],
                            place.trim_end_matches('区'),
                            trade
                        ),
                        address: format!("郑州市{place}{}号", 1 + rng.below(300)),
                        industry: industry.to_string(),
                        size: Some(Size::Small),
                        town: town.to_string(),
                        chief_quality_officer: String::new(),
                        contact: format!("0371-65{:06}", rng.below(1_000_000)),
                        file_opened: Some(NaiveDate::from_ymd_opt(2014, 1, 1).unwrap_or_default()),
                    },
                    licence: None,
                },
            )
        })
        .collect();
    import::run(store, &office, "demo", today, rows).await?;
    let mut import = Import::<SamplingInput>::begin(store, &office, "demo", today).await?;
    let mut count = 0;
    let mut failures = vec![0usize; enterprises_count as usize];
    for i in 0..enterprises_count * 2 {
        let n = rng.below(enterprises_count as usize);
        let (category, kind, ccc, item, standard) = CATEGORIES[rng.below(CATEGORIES.len())];
        let failed = rng.chance(fail_per_thousand);
        failures[n] += usize::from(failed);
        let sampled_on = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or_default()
            + Duration::days(
                rng.below((today.ordinal0() as usize).saturating_sub(20).max(1)) as i64,
            );
        import
            .push(
                i as usize + 2,
                SamplingInput {
                    report_no: format!("{}{}-{:05}", district_code, today.year(), i + 1),
                    plan: format!("{}年区级监督抽查", today.year()),
                    level: Level::District,
                    stage: Stage::Production,
                    enterprise_code: division_uscc(division, n as u64),
                    enterprise_name: String::new(),
                    product: format!("{category}（演示）"),
                    category: category.to_string(),
                    kind,
                    ccc,
                    batch: format!("{}", 30_000 + rng.below(9000)),
                    sampled_on,
                    reported_on: Some(sampled_on + Duration::days(20)),
                    verdict: if failed { Verdict::Fail } else { Verdict::Pass },
                    failed_items: if failed {
                        vec![FailedItem {
                            item: item.into(),
                            standard: standard.into(),
                        }]
                    } else {
                        vec![]
                    },
                    agency: "郑州市产品质量监督检验院".into(),
                },
            )
            .await?;
        count += 1;
    }
    import.finish().await?;
    let waiting = crate::sampling::awaiting_disclosure_of(store, &office).await?;
    crate::sampling::disclose(store, &office, &waiting, today).await?;
    // The enterprise failing most often is listed on the blacklist.
    let worst = (0..failures.len()).max_by_key(|n| (failures[*n], usize::MAX - n));
    if let Some(n) = worst.filter(|n| failures[*n] > 0)
        && let Some(ent) = enterprises::by_code(
            store,
            Whose::Actor(&office),
            &division_uscc(division, n as u64),
        )
        .await?
    {
        let id = credit::propose(
            store,
            &office,
            ent.id,
            "多次监督抽查不合格（演示）",
            today - Duration::days(40),
        )
        .await?;
        credit::act(
            store,
            &office,
            id,
            0,
            ListingAction::Approve,
            "经审核，列入质量失信黑名单",
            today - Duration::days(30),
        )
        .await?
        .map_err(|e| crate::StoreError::Conflict(e.message(qcity_domain::target::Lang::En)))?;
    }
    Ok(count)
}

fn level_word(l: Level) -> &'static str {
    match l {
        Level::National => "国家",
        Level::Provincial => "省级",
        Level::City => "市级",
        Level::District => "区级",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qcity_domain::identifiers::check_uscc;

    #[test]
    fn demo_codes_are_valid_and_distinct() {
        let codes: Vec<String> = (0..500).map(demo_uscc).collect();
        for c in &codes {
            assert!(check_uscc(c).is_ok(), "{c}");
        }
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), codes.len());
    }
}
