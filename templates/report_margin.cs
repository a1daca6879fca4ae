<?cs # report_margin.cs: /reports/margin (app/web/page_report_margin.c, doc/margin.md): filters
     (source, PSA, company, product, flagged only), export link, the margin-by-customer chart,
     the sortable table (a flagged row has class "flagged") with its totals row per currency,
     the pager, and the empty state when nothing is linked. Every URL is built in C and escaped
     here by var:. ?>
<?cs include:"layout.cs" ?>
<?cs include:"report_common.cs" ?>
<?cs call:page_start("Margin") ?>
<?cs call:report_tabs() ?>
<p class="muted">Per customer and linked product: the seats and their distributor cost, the PSA price and units, and what they make a month. Annual costs and prices are shown at their monthly equivalent (a twelfth, to the cent) and labelled "annual, shown monthly". A row is flagged when its margin is negative or its margin % is below <span id="margin-threshold"><?cs var:Threshold ?></span> % (<a href="/settings/billing">billing settings</a>). Usage (backup storage) is billed at cost and is not listed.</p>
<form method="get" action="<?cs var:Report.path ?>" class="filters panel" id="report-filters">
  <div class="field"><label for="f-source">Source</label>
    <select id="f-source" name="source"><option value="">all sources</option>
    <?cs each:o = Sources ?><option value="<?cs var:o.id ?>"<?cs if:o.id == Filter.source ?> selected<?cs /if ?>><?cs var:o.name ?></option><?cs /each ?>
    </select></div>
  <div class="field"><label for="f-psa">PSA</label>
    <select id="f-psa" name="psa"><option value="">all PSAs</option>
    <?cs each:o = Psas ?><option value="<?cs var:o.id ?>"<?cs if:o.id == Filter.psa ?> selected<?cs /if ?>><?cs var:o.name ?></option><?cs /each ?>
    </select></div>
  <div class="field"><label for="f-company">Company</label><input id="f-company" name="company" value="<?cs var:Filter.company ?>" maxlength="200" placeholder="customer or PSA account"></div>
  <div class="field"><label for="f-product">Product</label><input id="f-product" name="product" value="<?cs var:Filter.product ?>" maxlength="200" placeholder="product, SKU or service"></div>
  <div class="field"><label class="choice"><input type="checkbox" id="f-flagged" name="flagged" value="1"<?cs if:Filter.flagged ?> checked<?cs /if ?>> Flagged only</label></div>
  <input type="hidden" name="sort" value="<?cs var:Filter.sort ?>">
  <input type="hidden" name="dir" value="<?cs var:Filter.dir ?>">
  <button type="submit">Filter</button>
  <a class="button secondary" href="<?cs var:Report.path ?>">Clear</a>
  <a class="button secondary" id="export-csv" href="<?cs var:Export.href ?>">Export to CSV</a>
</form>
<?cs if:Empty ?>
<div class="panel muted" id="margin-empty">Nothing is linked yet, so there is no margin to show. Link resources to PSA services on the <a href="/mapping">Billing page</a>.</div>
<?cs elif:Total == "0" ?>
<div class="panel muted" id="report-empty">Nothing matches these filters.</div>
<?cs else ?>
<p id="margin-flagged-note"><a href="<?cs var:FlaggedHref ?>"><?cs var:Flagged ?> flagged row<?cs if:Flagged != "1" ?>s<?cs /if ?></a> (negative margin or under <?cs var:Threshold ?> %).</p>
<?cs if:Live ?><p class="muted" id="margin-live">Computed now from the current data (the data changed since the report's rows were last computed; they are being computed again).</p><?cs /if ?>
<?cs if:#Chart.n > #0 ?><?cs call:bar_chart(Chart, Chart.title) ?><?cs /if ?>
<div class="table-scroll">
<table class="report" id="report-table">
  <thead><tr>
  <?cs each:c = Cols ?><th data-key="<?cs var:c.key ?>" aria-sort="<?cs var:c.aria ?>"<?cs if:c.num ?> class="num"<?cs /if ?>><a href="<?cs var:c.href ?>"><?cs var:c.label ?><?cs if:c.sorted == "asc" ?> <span aria-hidden="true">▲</span><?cs elif:c.sorted == "desc" ?> <span aria-hidden="true">▼</span><?cs /if ?></a></th><?cs /each ?>
  </tr></thead>
  <tbody>
  <?cs each:r = Rows ?><tr data-id="<?cs var:r.id ?>"<?cs if:r.flagged ?> class="flagged" data-flagged="1"<?cs /if ?>><?cs each:v = r.C ?><td<?cs if:v.cls ?> class="<?cs var:v.cls ?>"<?cs /if ?>><?cs var:v ?></td><?cs /each ?></tr>
  <?cs /each ?>
  </tbody>
  <tfoot><tr class="totals" data-rows="<?cs var:Totals.rows ?>"><?cs each:v = Totals.C ?><td<?cs if:v.cls ?> class="<?cs var:v.cls ?>"<?cs /if ?><?cs if:v.key ?> data-total="<?cs var:v.key ?>"<?cs /if ?>><?cs var:v ?></td><?cs /each ?></tr></tfoot>
</table>
</div>
<div class="pager">
  <?cs if:Pager.first ?><a href="<?cs var:Pager.first ?>" rel="first">First</a><?cs /if ?>
  <?cs if:Pager.prev ?><a href="<?cs var:Pager.prev ?>" rel="prev">Previous</a><?cs /if ?>
  <span>Page <?cs var:Page ?> of <?cs var:Pages ?> · <?cs var:Total ?> rows</span>
  <?cs if:Pager.next ?><a href="<?cs var:Pager.next ?>" rel="next">Next</a><?cs /if ?>
  <?cs if:Pager.last ?><a href="<?cs var:Pager.last ?>" rel="last">Last</a><?cs /if ?>
</div>
<?cs /if ?>
<?cs call:page_end() ?>
