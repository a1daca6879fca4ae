<?cs include:"layout.cs" ?>
<?cs include:"report_common.cs" ?>
<?cs call:page_start("Unlinked subscriptions") ?>
<?cs call:report_tabs() ?>
<p class="muted">Resources with no PSA contract service yet: they cannot be billed until you link them on the <a href="/mapping">Billing</a> page. The monthly value is count × unit cost, an estimate at cost.</p>
<?cs call:report_body() ?>
<?cs call:page_end() ?>
