<?cs include:"layout.cs" ?>
<?cs include:"report_common.cs" ?>
<?cs call:page_start("Adjustment log") ?>
<?cs call:adjustment_tabs() ?>
<p class="muted">Every change of units billsync posted to your PSA (verified) or tried to post (failed), by the day it was planned (UTC). Amounts are estimates, prorated over the billing period (actual days, both ends counted); the PSA computes the invoice.</p>
<?cs call:report_body() ?>
<?cs call:page_end() ?>
