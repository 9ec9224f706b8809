//! Every target of the seed plan's five indicator tables (三、具体目标), and
//! the measurable goals of the task decomposition that need the richer
//! forms, written in the target language.

use chrono::NaiveDate;

use super::{
    Direction, Evaluation, Lang, Observations, Status, Target, direction, evaluate, explain, parse,
};

struct Seed {
    table: &'static str,
    no: u8,
    /// The seed's wording, abridged.
    wording: &'static str,
    target: &'static str,
    zh: &'static str,
    en: &'static str,
    direction: Direction,
}

use Direction::{HigherIsBetter as Higher, Judged, LowerIsBetter as Lower};

const SEEDS: &[Seed] = &[
    // （一）产品质量指标
    Seed {
        table: "产品质量",
        no: 1,
        wording: "农业标准化市场普及率超过30%",
        target: "> 30 %",
        zh: "超过30%",
        en: "more than 30%",
        direction: Higher,
    },
    Seed {
        table: "产品质量",
        no: 2,
        wording: "主要农产品质量安全抽检合格率稳定在96%以上",
        target: ">= 96 %",
        zh: "不低于96%",
        en: "at least 96%",
        direction: Higher,
    },
    Seed {
        table: "产品质量",
        no: 3,
        wording: "产品质量国家监督抽查合格率稳定在90%以上",
        target: ">= 90 %",
        zh: "不低于90%",
        en: "at least 90%",
        direction: Higher,
    },
    Seed {
        table: "产品质量",
        no: 4,
        wording: "生产企业产品质量监督合格率达到94%以上",
        target: ">= 94 %",
        zh: "不低于94%",
        en: "at least 94%",
        direction: Higher,
    },
    Seed {
        table: "产品质量",
        no: 5,
        wording: "生产许可证、CCC目录内产品认证证书覆盖率100%",
        target: "= 100 %",
        zh: "等于100%",
        en: "exactly 100%",
        direction: Higher,
    },
    Seed {
        table: "产品质量",
        no: 6,
        wording: "年度强制性产品认证获证产品监督抽查批次合格率达到95%以上",
        target: ">= 95 %",
        zh: "不低于95%",
        en: "at least 95%",
        direction: Higher,
    },
    Seed {
        table: "产品质量",
        no: 7,
        wording: "重点食品监督抽查合格率达到95%以上",
        target: ">= 95 %",
        zh: "不低于95%",
        en: "at least 95%",
        direction: Higher,
    },
    // （二）工程质量指标
    Seed {
        table: "工程质量",
        no: 1,
        wording: "大中型工程项目一次验收合格率达到100%。其他工程一次验收合格率达到98%以上",
        target: "all(large_medium \"大中型工程项目一次验收合格率\": = 100 %; \
                 other \"其他工程一次验收合格率\": >= 98 %)",
        zh: "大中型工程项目一次验收合格率等于100%，且其他工程一次验收合格率不低于98%",
        en: "大中型工程项目一次验收合格率: exactly 100%, and 其他工程一次验收合格率: at least 98%",
        direction: Higher,
    },
    Seed {
        table: "工程质量",
        no: 2,
        wording: "新开工建筑节能标准执行率达到100%",
        target: "= 100 %",
        zh: "等于100%",
        en: "exactly 100%",
        direction: Higher,
    },
    Seed {
        table: "工程质量",
        no: 3,
        wording: "新开工保障房受监工程覆盖率达到100%",
        target: "= 100 %",
        zh: "等于100%",
        en: "exactly 100%",
        direction: Higher,
    },
    Seed {
        table: "工程质量",
        no: 4,
        wording: "保障房工程建设质量一次性验收合格率达到100%",
        target: "= 100 %",
        zh: "等于100%",
        en: "exactly 100%",
        direction: Higher,
    },
    // （三）服务质量指标
    Seed {
        table: "服务质量",
        no: 1,
        wording: "生产性服务顾客满意度达到80以上",
        target: ">= 80 score",
        zh: "不低于80分",
        en: "at least 80 points",
        direction: Higher,
    },
    Seed {
        table: "服务质量",
        no: 2,
        wording: "生活性服务业顾客满意度达到75以上",
        target: ">= 75 score",
        zh: "不低于75分",
        en: "at least 75 points",
        direction: Higher,
    },
    Seed {
        table: "服务质量",
        no: 3,
        wording: "旅游区、现代服务区中获得“品牌示范区”称号1个",
        target: ">= 1 count",
        zh: "不少于1个",
        en: "at least 1",
        direction: Higher,
    },
    Seed {
        // Read as one title of either kind ("1个" counts the titles together).
        table: "服务质量",
        no: 4,
        wording: "获得“中华老字号”称号和“达标百货店”称号1个",
        target: "any(laozihao \"“中华老字号”称号\": >= 1 count; \
                 store \"“达标百货店”称号\": >= 1 count)",
        zh: "“中华老字号”称号不少于1个，或“达标百货店”称号不少于1个",
        en: "“中华老字号”称号: at least 1, or “达标百货店”称号: at least 1",
        direction: Higher,
    },
    Seed {
        table: "服务质量",
        no: 5,
        wording: "获得服务企业名牌称号1个",
        target: ">= 1 count",
        zh: "不少于1个",
        en: "at least 1",
        direction: Higher,
    },
    // （四）环境质量指标
    Seed {
        table: "环境质量",
        no: 1,
        wording: "污水处理率不低于85%",
        target: ">= 85 %",
        zh: "不低于85%",
        en: "at least 85%",
        direction: Higher,
    },
    Seed {
        table: "环境质量",
        no: 2,
        wording: "生活垃圾无害化处理率不低于92.5%",
        target: ">= 92.5 %",
        zh: "不低于92.5%",
        en: "at least 92.5%",
        direction: Higher,
    },
    Seed {
        table: "环境质量",
        no: 3,
        wording: "城市区域环境噪声≤56dB(A),城市道路交通噪声≤68dB(A)",
        target: "all(regional \"区域环境噪声\": <= 56 dB(A); \
                 road \"道路交通噪声\": <= 68 dB(A))",
        zh: "区域环境噪声不高于56 dB(A)，且道路交通噪声不高于68 dB(A)",
        en: "区域环境噪声: at most 56 dB(A), and 道路交通噪声: at most 68 dB(A)",
        direction: Lower,
    },
    Seed {
        table: "环境质量",
        no: 4,
        wording: "建成区水体水环境质量消除V类水体",
        target: "eliminate",
        zh: "消除（降至0）",
        en: "eliminate (bring to 0)",
        direction: Lower,
    },
    Seed {
        table: "环境质量",
        no: 5,
        wording: "集中饮用水水源地取水水质常规监测因子达标率≥98%",
        target: ">= 98 %",
        zh: "不低于98%",
        en: "at least 98%",
        direction: Higher,
    },
    Seed {
        // The PM10 cut is a quota the city assigns; the seed gives no number.
        table: "环境质量",
        no: 6,
        wording: "完成PM10浓度削减目标，PM2.5浓度2013年108微克/立方米，2016年95微克/立方米",
        target: "all(pm10 \"PM10\": qualitative \"完成可吸入颗粒物（PM10）浓度削减目标\"; \
                 pm25 \"PM2.5浓度\": path 2013: 108 -> 2016: 95 ug/m3)",
        zh: "PM10：定性目标：完成可吸入颗粒物（PM10）浓度削减目标，\
             且PM2.5浓度：2013年108 µg/m³ → 2016年95 µg/m³（逐年线性插值）",
        en: "PM10: qualitative: 完成可吸入颗粒物（PM10）浓度削减目标, \
             and PM2.5浓度: 2013: 108 µg/m³ → 2016: 95 µg/m³ (linear yearly interpolation)",
        direction: Judged,
    },
    Seed {
        table: "环境质量",
        no: 7,
        wording: "化学需氧量排放总量在2010年基础上削减14.8%",
        target: "reduce 14.8 % vs 2010",
        zh: "较2010年削减14.8%",
        en: "reduce by 14.8% from 2010",
        direction: Lower,
    },
    Seed {
        table: "环境质量",
        no: 8,
        wording: "氨氮排放总量在2010年基础上削减17.8%",
        target: "reduce 17.8 % vs 2010",
        zh: "较2010年削减17.8%",
        en: "reduce by 17.8% from 2010",
        direction: Lower,
    },
    // （五）质量文化及质量基础指标
    Seed {
        table: "质量文化及质量基础",
        no: 1,
        wording: "建设1个中小学生质量教育社会实践基地",
        target: ">= 1 count",
        zh: "不少于1个",
        en: "at least 1",
        direction: Higher,
    },
    Seed {
        table: "质量文化及质量基础",
        no: 2,
        wording: "企业质量信用档案建档率大于80%",
        target: "> 80 %",
        zh: "超过80%",
        en: "more than 80%",
        direction: Higher,
    },
    Seed {
        table: "质量文化及质量基础",
        no: 3,
        wording: "产品质量信用信息平台建档率大于80%",
        target: "> 80 %",
        zh: "超过80%",
        en: "more than 80%",
        direction: Higher,
    },
    Seed {
        table: "质量文化及质量基础",
        no: 4,
        wording: "力争质量专业技术人员获取职业资格证书",
        target: "qualitative \"力争质量专业技术人员获取职业资格证书\"",
        zh: "定性目标：力争质量专业技术人员获取职业资格证书",
        en: "qualitative: 力争质量专业技术人员获取职业资格证书",
        direction: Judged,
    },
];

fn target(s: &str) -> Target {
    match parse(s) {
        Ok(t) => t,
        Err(e) => panic!("{s:?}: {e}"),
    }
}

fn at(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default()
}

fn eval(s: &str, obs: &Observations, year: i32) -> Evaluation {
    evaluate(&target(s), obs, at(year))
}

fn status(s: &str, obs: &Observations, year: i32) -> Status {
    eval(s, obs, year).status
}

fn seed(table: &str, no: u8) -> &'static Seed {
    match SEEDS.iter().find(|s| s.table == table && s.no == no) {
        Some(s) => s,
        None => panic!("no seed {table} {no}"),
    }
}

#[test]
fn the_five_tables_hold_28_indicators() {
    let count = |table: &str| SEEDS.iter().filter(|s| s.table == table).count();
    assert_eq!(count("产品质量"), 7);
    assert_eq!(count("工程质量"), 4);
    assert_eq!(count("服务质量"), 5);
    assert_eq!(count("环境质量"), 8);
    assert_eq!(count("质量文化及质量基础"), 4);
    assert_eq!(SEEDS.len(), 28);
}

#[test]
fn every_seed_target_parses_and_prints_canonically() {
    for s in SEEDS {
        let printed = parse(s.target).map(|t| t.to_string());
        assert_eq!(printed.as_deref(), Ok(s.target), "{} {}", s.table, s.no);
    }
}

#[test]
fn every_seed_target_explains_in_both_languages() {
    for s in SEEDS {
        let t = target(s.target);
        assert_eq!(
            explain(&t, Lang::ZhCn),
            s.zh,
            "{} {}: {}",
            s.table,
            s.no,
            s.wording
        );
        assert_eq!(
            explain(&t, Lang::En),
            s.en,
            "{} {}: {}",
            s.table,
            s.no,
            s.wording
        );
    }
}

#[test]
fn every_seed_target_has_its_direction() {
    for s in SEEDS {
        assert_eq!(
            direction(&target(s.target)),
            s.direction,
            "{} {}",
            s.table,
            s.no
        );
    }
}

#[test]
fn every_seed_target_is_no_data_without_observations() {
    for s in SEEDS {
        let e = eval(s.target, &Observations::new(), 2015);
        assert_eq!(e.status, Status::NoData, "{} {}", s.table, s.no);
        assert!(e.explanation_zh.contains("无数据"), "{}", e.explanation_zh);
        assert!(e.explanation_en.contains("no data"), "{}", e.explanation_en);
    }
}

#[test]
fn product_agricultural_standardisation_must_exceed_30() {
    let t = seed("产品质量", 1).target;
    let at_30 = Observations::new().with_value("", 2014, 30.0);
    assert_eq!(status(t, &at_30, 2014), Status::NotMet);
    let above = Observations::new().with_value("", 2014, 30.2);
    assert_eq!(status(t, &above, 2014), Status::Met);
}

#[test]
fn product_agro_sampling_with_2014_national_figures() {
    // MOA routine monitoring 2014 H1 overall 96.4 %, vegetables 95.9 %.
    let t = seed("产品质量", 2).target;
    let overall = Observations::new().with_value("", 2014, 96.4);
    let e = eval(t, &overall, 2014);
    assert_eq!(e.status, Status::Met);
    assert_eq!(e.explanation_zh, "2014年：96.4%，目标不低于96% → 达标");
    let vegetables = Observations::new().with_value("", 2014, 95.9);
    assert_eq!(status(t, &vegetables, 2014), Status::NotMet);
}

#[test]
fn product_licence_coverage_must_be_complete() {
    let t = seed("产品质量", 5).target;
    let full = Observations::new().with_value("", 2014, 100.0);
    assert_eq!(status(t, &full, 2014), Status::Met);
    let rising = Observations::new()
        .with_series("", &[(2013, 97.0), (2014, 98.5)])
        .with_deadline(2015);
    let e = eval(t, &rising, 2014);
    assert_eq!(e.status, Status::OnTrack);
    assert_eq!(
        e.explanation_en,
        "2014: 98.5%, target exactly 100%; trend projects 100% for 2015 → on track"
    );
    let stuck = Observations::new()
        .with_value("", 2015, 99.5)
        .with_deadline(2015);
    assert_eq!(status(t, &stuck, 2015), Status::NotMet);
}

#[test]
fn engineering_acceptance_needs_both_measures() {
    let t = seed("工程质量", 1).target;
    let both = Observations::new()
        .with_value("large_medium", 2014, 100.0)
        .with_value("other", 2014, 98.3);
    assert_eq!(status(t, &both, 2014), Status::Met);
    let other_low = both.clone().with_value("other", 2014, 97.9);
    let e = eval(t, &other_low, 2014);
    assert_eq!(e.status, Status::NotMet);
    assert_eq!(
        e.explanation_zh,
        "全部满足（大中型工程项目一次验收合格率：达标；其他工程一次验收合格率：未达标） → 未达标"
    );
    let half = Observations::new().with_value("large_medium", 2014, 100.0);
    assert_eq!(status(t, &half, 2014), Status::NoData);
}

#[test]
fn service_satisfaction_and_titles() {
    let satisfaction = seed("服务质量", 1).target;
    let obs = Observations::new().with_value("", 2014, 80.0);
    assert_eq!(status(satisfaction, &obs, 2014), Status::Met);
    let e = eval(
        seed("服务质量", 2).target,
        &Observations::new().with_value("", 2014, 74.6),
        2014,
    );
    assert_eq!(e.status, Status::NotMet);
    assert_eq!(e.explanation_zh, "2014年：74.6分，目标不低于75分 → 未达标");

    let title = seed("服务质量", 3).target;
    let none = Observations::new().with_value("", 2014, 0.0);
    assert_eq!(status(title, &none, 2014), Status::NotMet);
    let one = Observations::new().with_value("", 2015, 1.0);
    assert_eq!(status(title, &one, 2015), Status::Met);

    let either = seed("服务质量", 4).target;
    let store_only = Observations::new()
        .with_value("laozihao", 2015, 0.0)
        .with_value("store", 2015, 1.0);
    assert_eq!(status(either, &store_only, 2015), Status::Met);
    let neither = store_only.with_value("store", 2015, 0.0);
    assert_eq!(status(either, &neither, 2015), Status::NotMet);
}

#[test]
fn environment_noise_and_water() {
    let noise = seed("环境质量", 3).target;
    let quiet = Observations::new()
        .with_value("regional", 2014, 54.5)
        .with_value("road", 2014, 68.0);
    assert_eq!(status(noise, &quiet, 2014), Status::Met);
    let loud_road = quiet.with_value("road", 2014, 69.6);
    let e = eval(noise, &loud_road, 2014);
    assert_eq!(e.status, Status::NotMet);
    assert_eq!(
        e.per_part[1].1.explanation_zh,
        "2014年：69.6 dB(A)，目标不高于68 dB(A) → 未达标"
    );

    let waste = seed("环境质量", 2).target;
    let obs = Observations::new().with_value("", 2014, 92.5);
    assert_eq!(status(waste, &obs, 2014), Status::Met);
    let obs = Observations::new().with_value("", 2014, 92.49);
    assert_eq!(status(waste, &obs, 2014), Status::NotMet);

    let class_v = seed("环境质量", 4).target;
    let two_left = Observations::new().with_value("", 2014, 2.0);
    assert_eq!(status(class_v, &two_left, 2014), Status::NotMet);
    let none_left = two_left.with_value("", 2015, 0.0);
    assert_eq!(status(class_v, &none_left, 2015), Status::Met);
}

#[test]
fn environment_pm25_path_and_pm10_judgement() {
    let t = seed("环境质量", 6).target;
    let obs = Observations::new()
        .with_series("pm25", &[(2013, 108.0), (2014, 103.0), (2015, 101.0)])
        .with_judgement("pm10", Some(true), "完成市下达削减任务");
    let e = eval(t, &obs, 2015);
    assert_eq!(e.status, Status::OffTrack);
    assert_eq!(
        e.per_part[1].1.explanation_en,
        "2015: 101 µg/m³, path target 99.3 µg/m³ → off track"
    );
    assert_eq!(e.per_part[0].1.status, Status::Met);
    assert_eq!(status(t, &obs, 2014), Status::OnTrack);
    let reached = obs.with_value("pm25", 2016, 94.0);
    assert_eq!(status(t, &reached, 2016), Status::Met);
}

#[test]
fn environment_emission_cuts_vs_2010() {
    let cod = seed("环境质量", 7).target;
    let nh3 = seed("环境质量", 8).target;
    let obs = Observations::new().with_series("", &[(2010, 5000.0), (2015, 4200.0)]);
    // 16 % cut: enough for COD (14.8 %), not for ammonia nitrogen (17.8 %).
    assert_eq!(status(cod, &obs, 2015), Status::Met);
    let e = eval(nh3, &obs, 2015);
    assert_eq!(e.status, Status::NotMet);
    assert_eq!(
        e.explanation_en,
        "baseline 2010: 5000, 2015: 4200, reduced 16% (target 17.8%) → not met"
    );
}

#[test]
fn culture_records_and_certificates() {
    let records = seed("质量文化及质量基础", 2).target;
    let at_80 = Observations::new().with_value("", 2014, 80.0);
    assert_eq!(status(records, &at_80, 2014), Status::NotMet);
    let above = Observations::new().with_value("", 2014, 85.0);
    assert_eq!(status(records, &above, 2014), Status::Met);

    let certificates = seed("质量文化及质量基础", 4).target;
    let judged = Observations::new().with_judgement("", Some(true), "");
    assert_eq!(status(certificates, &judged, 2014), Status::Met);
}

// ---- measurable goals of the task decomposition ----

#[test]
fn special_equipment_deaths_below_the_national_average() {
    // 6.3.1: 特种设备万台设备事故死亡率低于全国平均水平; national 2014: 0.39.
    let t = "< benchmark \"全国平均水平\"";
    let obs = Observations::new()
        .with_value("", 2014, 0.10)
        .with_benchmark("全国平均水平", 2014, 0.39);
    let e = eval(t, &obs, 2014);
    assert_eq!(e.status, Status::Met);
    assert_eq!(
        e.explanation_en,
        "2014: 0.1, 全国平均水平 0.39, target below 全国平均水平 → met"
    );
    let bad = Observations::new()
        .with_value("", 2014, 0.45)
        .with_benchmark("全国平均水平", 2014, 0.39);
    assert_eq!(status(t, &bad, 2014), Status::NotMet);
}

#[test]
fn energy_saving_and_industrialised_shares_rise_three_years() {
    // 7.3.1: 节能建筑的比重和工业化建造比重均连续3年不断提高.
    let t = "all(energy_saving \"节能建筑的比重\": trend up 3 years; \
             industrialised \"工业化建造比重\": trend up 3 years)";
    assert_eq!(target(t).to_string(), t);
    assert_eq!(
        explain(&target(t), Lang::ZhCn),
        "节能建筑的比重连续3年逐年提高，且工业化建造比重连续3年逐年提高"
    );
    let obs = Observations::new()
        .with_series(
            "energy_saving",
            &[(2011, 40.0), (2012, 45.0), (2013, 52.0), (2014, 60.0)],
        )
        .with_series(
            "industrialised",
            &[(2011, 5.0), (2012, 6.0), (2013, 6.0), (2014, 8.0)],
        );
    let e = eval(t, &obs, 2014);
    assert_eq!(e.status, Status::NotMet);
    assert_eq!(e.per_part[0].1.status, Status::Met);
    assert_eq!(
        e.per_part[1].1.explanation_zh,
        "2012年6 → 2013年6，未提高 → 未达标"
    );
}

#[test]
fn satisfaction_up_or_complaints_down() {
    // 8.6.1: 满意度连续3年不断提高，或消费者投诉率连续3年不断递减.
    let t = "any(satisfaction \"消费者对服务业满意度\": trend up 3 years; \
             complaints \"消费者投诉率\": trend down 3 years)";
    let obs = Observations::new()
        .with_series("satisfaction", &[(2012, 70.0), (2013, 69.0), (2014, 72.0)])
        .with_series(
            "complaints",
            &[(2011, 9.0), (2012, 8.0), (2013, 7.5), (2014, 7.0)],
        );
    assert_eq!(status(t, &obs, 2014), Status::Met);
    assert_eq!(
        explain(&target(t), Lang::ZhCn),
        "消费者对服务业满意度连续3年逐年提高，或消费者投诉率连续3年逐年下降"
    );
}

#[test]
fn satisfaction_leading_or_complaints_below_average() {
    // 8.6.2: 服务业顾客满意度居全国同级城市前列，或消费者投诉率低于全国平均水平.
    let t = "any(satisfaction \"服务业顾客满意度\": rank leading among \"全国同级城市\"; \
             complaints \"消费者投诉率\": < benchmark \"全国平均水平\")";
    let obs = Observations::new()
        .with_value("complaints", 2014, 3.2)
        .with_benchmark("全国平均水平", 2014, 3.0);
    assert_eq!(status(t, &obs, 2014), Status::NoData);
    let judged = obs.with_judgement("satisfaction", Some(true), "");
    assert_eq!(status(t, &judged, 2014), Status::Met);
}

#[test]
fn service_satisfaction_in_the_top_ten() {
    // 8.3.1: 力争服务业满意度得分位居全国同等城市前10名.
    let t = "rank <= 10 among \"全国同等城市\"";
    let obs = Observations::new().with_value("", 2014, 12.0);
    assert_eq!(status(t, &obs, 2014), Status::NotMet);
    let obs = obs.with_value("", 2015, 10.0);
    assert_eq!(status(t, &obs, 2015), Status::Met);
}

#[test]
fn decomposition_goals_parse_and_print_canonically() {
    let plan = crate::plan::default_plan();
    for (code, t) in [
        (
            "3.1.2",
            "all(standardisation \"农业标准化生产普及率\": >= 30 %; \
             certified \"有机产品、绿色食品、无公害农产品认证总数\": \
             rank leading among \"全国同级城市\")",
        ),
        ("6.3.1", "< benchmark \"全国平均水平\""),
        (
            "7.3.1",
            "all(energy_saving \"节能建筑的比重\": trend up 3 years; \
             industrialised \"工业化建造比重\": trend up 3 years)",
        ),
        ("8.3.1", "rank <= 10 among \"全国同等城市\""),
        (
            "8.6.1",
            "any(satisfaction \"消费者对服务业满意度\": trend up 3 years; \
             complaints \"消费者投诉率\": trend down 3 years)",
        ),
        (
            "8.6.2",
            "any(satisfaction \"服务业顾客满意度\": rank leading among \"全国同级城市\"; \
             complaints \"消费者投诉率\": < benchmark \"全国平均水平\")",
        ),
    ] {
        assert_eq!(parse(t).map(|x| x.to_string()).as_deref(), Ok(t));
        let in_plan = plan
            .categories
            .iter()
            .flat_map(|c| &c.items)
            .flat_map(|i| &i.contents)
            .find(|c| c.code == code)
            .and_then(|c| c.target.as_deref());
        assert_eq!(in_plan, Some(t), "{code}");
    }
}

// ---- display names: no internal code reaches a Chinese reader ----

/// Every target of the default plan: indicators' and contents' (with where it is).
fn plan_targets() -> Vec<(String, Target)> {
    let plan = crate::plan::default_plan();
    let mut out: Vec<(String, Target)> = plan
        .indicators
        .iter()
        .map(|i| (i.code.clone(), target(i.target.as_str())))
        .collect();
    for content in plan
        .categories
        .iter()
        .flat_map(|c| &c.items)
        .flat_map(|i| &i.contents)
    {
        if let Some(t) = &content.target {
            out.push((content.code.clone(), target(t)));
        }
    }
    out
}

/// Every labelled part of `t`, nested groups included, as (label, name).
fn labelled_parts(t: &Target, out: &mut Vec<(String, Option<String>)>) {
    if let Target::All(parts) | Target::Any(parts) = t {
        for p in parts {
            out.push((p.label.clone(), p.name.clone()));
            labelled_parts(&p.target, out);
        }
    }
}

/// The first ASCII identifier `[a-z][a-z0-9_]*` directly followed by `：` or `:`.
fn leaked_code(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if *c != '：' && *c != ':' {
            continue;
        }
        let mut start = i;
        while start > 0 {
            let p = chars[start - 1];
            if p.is_ascii_lowercase() || p.is_ascii_digit() || p == '_' {
                start -= 1;
            } else {
                break;
            }
        }
        // `[a-z][a-z0-9_]*` matches from the run's first lowercase letter on.
        if let Some(first) = (start..i).find(|&k| chars[k].is_ascii_lowercase()) {
            return Some(chars[first..=i].iter().collect());
        }
    }
    None
}

#[test]
fn leaked_codes_are_recognised() {
    assert_eq!(
        leaked_code("energy_saving：连续3年逐年提高").as_deref(),
        Some("energy_saving：")
    );
    assert_eq!(leaked_code("x，或pm25: 2013年").as_deref(), Some("pm25:"));
    assert_eq!(leaked_code("PM10：定性目标：完成"), None);
    assert_eq!(leaked_code("2013: 108"), None);
    assert_eq!(
        leaked_code("不高于56 dB(A)，且道路交通噪声不高于68 dB(A)"),
        None
    );
}

#[test]
fn every_labelled_part_of_the_plan_has_a_display_name() {
    let targets = plan_targets();
    assert_eq!(
        targets.len(),
        28 + 26,
        "28 indicators and 26 content targets"
    );
    let mut unnamed = Vec::new();
    let mut labelled = 0;
    for (code, t) in &targets {
        let mut parts = Vec::new();
        labelled_parts(t, &mut parts);
        labelled += parts.len();
        for (label, name) in parts {
            if name.as_deref().is_none_or(|n| n.trim().is_empty()) {
                unnamed.push(format!("{code} {label}"));
            }
        }
    }
    assert!(labelled > 0);
    assert!(
        unnamed.is_empty(),
        "parts without a display name: {unnamed:?}"
    );
}

#[test]
fn no_chinese_explanation_of_the_plan_shows_an_internal_code() {
    let leaks: Vec<String> = plan_targets()
        .iter()
        .filter_map(|(code, t)| {
            let zh = explain(t, Lang::ZhCn);
            leaked_code(&zh).map(|leak| format!("{code}: {leak} in {zh}"))
        })
        .collect();
    assert!(leaks.is_empty(), "{leaks:#?}");
}
