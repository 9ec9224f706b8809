# Open311 GeoReport v2 (/open311/v2/…): the discovery document, the notice of a post, and the
# descriptions of the standard's error bodies.

open311-contact = 区强区办（质量投诉受理）
open311-key-service = API 密钥即 QCity 的 API 令牌：请向区强区办申请账户和令牌，提交时作为 api_key 发送。
open311-notice = 已受理，受理编号 { $number }。

open311-error-api-key = api_key 缺失或无效，无法提交。
open311-error-jurisdiction-key = 此 api_key 不能向该辖区提交。
open311-error-jurisdiction = 未找到辖区 { $id }。
open311-error-not-found = 未找到该资源。
open311-error-request-unknown = 未找到服务请求 { $id }。
open311-error-malformed = 请求无法解析（表单须为 application/x-www-form-urlencoded）。
open311-error-too-large = 请求过大。
open311-error-no-plan = 本系统尚未加载计划，暂不能受理。
open311-error-internal = 服务器出错，请稍后再试。

open311-error-service-code-missing = 缺少 service_code。
open311-error-service-code-unknown = 未找到服务 { $code }。
open311-error-coordinate = { $name } 须为 -{ $max } 到 { $max } 之间的数字。
open311-error-lat-long-together = lat 和 long 须同时提供。
open311-error-location-missing = 须提供位置：lat 和 long，或 address_string，或 address_id。
open311-error-description-long = description 不能超过 { $max } 个字符。
open311-error-description-markup = description 须为纯文本，不能含 HTML。
open311-error-email = email 不是有效的电子邮件地址。
open311-error-media-url = media_url 须为 http 或 https 网址。
open311-error-datetime = { $name } 须为带时区的 W3C 日期时间，如 2026-03-01T00:00:00+08:00。
open311-error-range-order = end_date 早于 start_date。
open311-error-range-long = 日期范围不能超过 { $days } 天。
open311-error-status = status { $status } 既不是 open 也不是 closed。
