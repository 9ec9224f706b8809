#!/usr/bin/env python3
"""A real Open311 GeoReport v2 client against QCity (run by .ci/open311.sh).

Uses the PyPI package `georeport` (0.3.1), in both of its formats (JSON, and XML through
xmltodict), to list the services, read a service's definition, and read a posted request back,
alone and in the filtered list. georeport 0.3.1 has no call that creates a request, so the post
is the standard's form (application/x-www-form-urlencoded, with `api_key`) sent with
`requests`, the HTTP library georeport itself uses, to the client's own root address and key.

Usage: open311_client.py ROOT_URL API_KEY
"""

import sys

import requests
from georeport import GeoReport

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def as_list(value):
    """xmltodict gives a dict for a single element and a list for several."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def main():
    root, key = sys.argv[1], sys.argv[2]
    json_client = GeoReport(root, api_key=key, output_format="json")
    xml_client = GeoReport(root, api_key=key, output_format="xml")

    for client in (json_client, xml_client):
        fmt = client.output_format
        services = as_list(client.get_service_list())
        codes = [s["service_code"] for s in services]
        check("metering" in codes and len(codes) == 8, f"{fmt}: 8 services with metering: {codes}")
        metering = next(s for s in services if s["service_code"] == "metering")
        check(metering["service_name"] == "计量", f"{fmt}: metering is named 计量")
        definition = client.get_service_definition("metering")
        check(definition["service_code"] == "metering", f"{fmt}: the definition of metering")
        try:
            client.get_service_definition("astrology")
            check(False, f"{fmt}: an unknown service is refused")
        except requests.HTTPError as e:
            check(e.response.status_code == 404, f"{fmt}: an unknown service is a 404")

    form = {
        "service_code": "metering",
        "lat": "34.8",
        "long": "113.6",
        "address_string": "惠济区天河路1号",
        "description": "菜市场的电子秤缺斤短两",
    }
    url = f"{json_client.root_address}/requests.json"
    refused = requests.post(url, data=form)
    check(refused.status_code == 403, f"a post without api_key is refused: {refused.status_code}")
    check(refused.json()[0]["code"] == 403, "the refusal is the standard's error body")
    posted = requests.post(url, data={**form, "api_key": json_client.api_key})
    check(posted.status_code == 200, f"a post with api_key is received: {posted.status_code} {posted.text}")
    if posted.status_code != 200:
        sys.exit(1)
    number = posted.json()[0]["service_request_id"]
    check(bool(number), f"the post returns its service_request_id {number}")

    for client in (json_client, xml_client):
        fmt = client.output_format
        request = client.get_service_request(number)
        check(request["service_request_id"] == number, f"{fmt}: {number} reads back")
        check(request["status"] == "open", f"{fmt}: {number} is open: {request['status']}")
        check(request["service_code"] == "metering", f"{fmt}: {number} is a metering request")
        check(float(request["lat"]) == 34.8, f"{fmt}: its latitude")
        check(request["requested_datetime"].endswith("+08:00"), f"{fmt}: its time in China")
        listed = as_list(client.get_service_requests(service_code="metering", status="open"))
        check(number in [r["service_request_id"] for r in listed], f"{fmt}: {number} is in the list of open metering requests")
        by_id = as_list(client.get_service_requests(service_request_id=number))
        check([r["service_request_id"] for r in by_id] == [number], f"{fmt}: {number} by service_request_id")

    if failures:
        print(f"{len(failures)} check(s) failed")
        sys.exit(1)
    print("Open311 client: all checks passed")


if __name__ == "__main__":
    main()
