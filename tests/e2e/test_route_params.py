"""Declared route parameters (app/web/routes.c, web/params.h): a value that is not valid is
a 400 page with the parameter's sentence before the page runs; valid ones still serve."""
import pytest

from billsync_test import signed_in


@pytest.fixture(scope="module")
def admin(stack):
    return signed_in(stack)


@pytest.mark.parametrize("path, sentence", [
    ("/reports/subscriptions?page=0", "The page number is not valid."),
    ("/reports/linked?dir=sideways", "The sort direction must be asc or desc."),
    ("/reports/unlinked?billing=gb", "The billing filter must be seats, monthly, annual, one_time or usage."),
    ("/reports/subscriptions?status=gone", "The status filter must be active, suspended, cancelled or pending."),
    ("/reports/subscriptions?source=x", "The source filter names no distributor connection of yours."),
    ("/reports/adjustments?from=2025-02-30", "The start date must be a day written YYYY-MM-DD."),
    ("/reports/failures?to=2025-1-5", "The end date must be a day written YYYY-MM-DD."),
    ("/reports/adjustments?q=" + "y" * 201, "A text filter is too long (200 characters at most)."),
    ("/reports/failures?format=pdf", "The format must be csv or html."),
    ("/mapping?mapped=2", "A filter of this page is not valid."),
    ("/mapping/relations?page=0", "A filter of this page is not valid."),
    ("/review/2026-11?page=zero", "The page must be a number."),
    ("/review/2026-11?format=xml", "The format must be csv or html."),
    ("/settings/connections?edit=abc", "The connection number is not valid."),
    ("/audit?from=2026-11-1", "The 'from' date must look like 2026-11-01."),
    ("/audit?to=yesterday", "The 'to' date must look like 2026-11-30."),
    ("/audit?action=drop-table", "Unknown action filter."),
    ("/audit?format=xml", "The format must be csv or html."),
    ("/audit?page=100001", "The page number is not valid."),
])
def test_a_bad_parameter_is_a_400_with_its_sentence(admin, path, sentence):
    r = admin.get(path)
    assert r.status_code == 400, (path, r.status_code)
    assert "text/html" in r.headers["Content-Type"]
    assert sentence.replace("'", "&#39;") in r.text, (path, sentence)


@pytest.mark.parametrize("path", [
    "/reports/subscriptions?page=&dir=desc&status=active&billing=usage",
    "/reports/adjustments?from=2024-02-29&to=2024-03-01&format=html",
    "/mapping?mapped=1&expired=0&unlinked=1&page=1&q=x",
    "/review/2026-11?page=1",
    "/audit?from=2026-11-01&to=2026-11-30&action=logout&page=1",
])
def test_valid_parameters_serve_the_page(admin, path):
    assert admin.get(path).status_code == 200, path


def test_the_mapping_filters_of_a_post_are_checked_in_its_form(admin):
    """/mapping keeps its filters in its forms: on a POST they are read from the form."""
    r = admin.form("/profile", "/mapping", {"action": "set", "mapped": "7"})
    assert r.status_code == 400 and "A filter of this page is not valid." in r.text
    r = admin.form("/profile", "/mapping/relations", {"action": "set", "page": "-1"})
    assert r.status_code == 400 and "A filter of this page is not valid." in r.text
    # a filter in the query of a POST is not read (the form's is)
    r = admin.form("/profile", "/mapping/relations?page=-1", {"action": "nothing"})
    assert r.status_code == 400 and "Choose Set Relations or Clear Relations." in r.text
