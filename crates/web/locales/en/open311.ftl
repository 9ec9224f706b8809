# Open311 GeoReport v2 (/open311/v2/…): the discovery document, the notice of a post, and the
# descriptions of the standard's error bodies.

open311-contact = The district's quality office (complaints desk)
open311-key-service = The API key is a QCity API token: ask the quality office for an account and a token, and send it as api_key.
open311-notice = Received as { $number }.

open311-error-api-key = Invalid or missing api_key received -- can't proceed with create_request.
open311-error-jurisdiction-key = This api_key cannot file requests in that jurisdiction.
open311-error-jurisdiction = jurisdiction_id { $id } was not found.
open311-error-not-found = Not found.
open311-error-request-unknown = service_request_id { $id } was not found.
open311-error-malformed = The request could not be read (the form must be application/x-www-form-urlencoded).
open311-error-too-large = The request is too large.
open311-error-no-plan = No plan is loaded yet; requests cannot be received.
open311-error-internal = Something went wrong on the server; please try again later.

open311-error-service-code-missing = service_code was not provided.
open311-error-service-code-unknown = service_code { $code } was not found.
open311-error-coordinate = { $name } must be a number between -{ $max } and { $max }.
open311-error-lat-long-together = lat and long must be given together.
open311-error-location-missing = A location is required: lat and long, address_string or address_id.
open311-error-description-long = description is longer than { $max } characters.
open311-error-description-markup = description must be plain text, not HTML.
open311-error-email = email is not an e-mail address.
open311-error-media-url = media_url must be an http or https URL.
open311-error-datetime = { $name } must be a W3C date-time with a zone, e.g. 2026-03-01T00:00:00+08:00.
open311-error-range-order = end_date is before start_date.
open311-error-range-long = The date range may not exceed { $days } days.
open311-error-status = status { $status } is neither open nor closed.
