"""Browser: a person signs in, signs out, and resets a forgotten password through the real
pages (headless Chromium driven by Selenium), with the link from the mail the SMTP sink got."""
import os
import re
import tempfile

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from billsync_test import PASSWORD, mail_body, mails_to, new_tenant, new_user


@pytest.fixture(scope="module")
def browser():
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    profile = tempfile.mkdtemp(prefix="billsync-chromium-")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                 "--window-size=1280,900", f"--user-data-dir={profile}"):
        opts.add_argument(flag)
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    d.set_page_load_timeout(30)
    yield d
    d.quit()


def shot(d, name):
    """Keeps a screenshot for a person to look at (artefact, not an assertion)."""
    out = os.environ.get("BILLSYNC_SCREENSHOTS", os.path.join(tempfile.gettempdir(), "billsync-shots"))
    os.makedirs(out, exist_ok=True)
    d.save_screenshot(os.path.join(out, name + ".png"))


def wait_text(d, text, timeout=10):
    WebDriverWait(d, timeout).until(EC.text_to_be_present_in_element((By.TAG_NAME, "body"), text))


def sign_in(d, url, email, password):
    d.get(url + "/login")
    d.find_element(By.NAME, "email").send_keys(email)
    d.find_element(By.NAME, "password").send_keys(password)
    d.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()


def test_sign_in_sign_out_and_forgot_password(stack, browser):
    d = browser
    _, t = new_tenant(stack, "Browser MSP <b>&amp;</b>")
    email = new_user(stack, t)

    sign_in(d, stack.url, email, "a wrong password!")
    wait_text(d, "The e-mail address or the password is not right.")
    assert d.find_element(By.NAME, "email").get_attribute("value") == email

    d.find_element(By.NAME, "password").send_keys(PASSWORD)
    d.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_text(d, "Welcome to billsync")
    assert d.find_element(By.CSS_SELECTOR, ".sidebar .tenant").text == "Browser MSP <b>&amp;</b>"
    shot(d, "dashboard")

    d.find_element(By.CSS_SELECTOR, ".sidebar .me button").click()
    wait_text(d, "You are signed out.")
    d.get(stack.url + "/")
    assert "/login" in d.current_url

    d.find_element(By.LINK_TEXT, "Forgot your password?").click()
    d.find_element(By.NAME, "email").send_keys(email)
    d.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_text(d, "If an account exists for that address")

    [msg] = mails_to(stack, email)
    link = re.search(r"(http://\S+/reset\?token=\S+)", mail_body(msg)).group(1)
    d.get(link)
    wait_text(d, "Choose a new password")
    new = "a passphrase chosen in the browser"
    d.find_element(By.NAME, "password").send_keys(new)
    d.find_element(By.NAME, "confirm").send_keys(new)
    d.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_text(d, "Your password was changed. Sign in with the new one.")
    shot(d, "after-reset")

    sign_in(d, stack.url, email, new)
    wait_text(d, "Welcome to billsync")
    assert d.current_url.rstrip("/") == stack.url

    d.get(link)                              # the link is single-use
    wait_text(d, "This link cannot be used")
