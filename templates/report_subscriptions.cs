<?cs include:"layout.cs" ?>
<?cs include:"report_common.cs" ?>
<?cs call:page_start("Subscriptions report") ?>
<?cs call:report_tabs() ?>
<p class="muted">Every subscription and resource your distributors report, with the PSA account, contract and service it is linked to. Counts are seats; usage (backup storage) is counted in GB and totalled apart.</p>
<?cs call:report_body() ?>
<?cs call:page_end() ?>
