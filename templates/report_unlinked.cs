<?cs include:"layout.cs" ?>
<?cs include:"report_common.cs" ?>
<?cs call:page_start("Unlinked subscriptions") ?>
<?cs call:report_tabs() ?>
<p class="muted">Resources with no PSA contract service yet: they cannot be billed until you link them on the <a href="/mapping">Billing</a> page. The monthly value is count × unit cost, an estimate at cost; for an <strong>annual</strong> subscription, whose unit cost is for a year, it is a twelfth of that, to the cent (billing "annual (÷ 12)"). <strong>Usage</strong> (backup storage) is counted in GB and totalled apart from seats. An annual subscription linked to a contract is billed there as one-time charges and is not listed here.</p>
<?cs call:report_body() ?>
<?cs call:page_end() ?>
