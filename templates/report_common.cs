<?cs # report_common.cs: the body the reports share: tabs, the filters the report offers
     (Filters.*), export link, its chart (licences per customer, or rows per day), the sortable
     table with its totals row (a row's cell may link to the row's detail page), the pager, and
     row actions when the user may act (a checkbox and buttons per row, and a form for the
     checked rows). Every URL is built in C (filters kept, one thing changed) and escaped here
     by var:. ?>
<?cs include:"chart_bars.cs" ?>
<?cs def:report_tabs() ?>
<nav class="tabs" aria-label="Reports">
  <a href="/reports/subscriptions"<?cs if:Report.path == "/reports/subscriptions" ?> class="active" aria-current="page"<?cs /if ?>>All subscriptions</a>
  <a href="/reports/linked"<?cs if:Report.path == "/reports/linked" ?> class="active" aria-current="page"<?cs /if ?>>Linked</a>
  <a href="/reports/unlinked"<?cs if:Report.path == "/reports/unlinked" ?> class="active" aria-current="page"<?cs /if ?>>Unlinked</a>
  <a href="/reports/margin"<?cs if:Report.path == "/reports/margin" ?> class="active" aria-current="page"<?cs /if ?>>Margin</a>
</nav>
<?cs /def ?>

<?cs def:adjustment_tabs() ?>
<nav class="tabs" aria-label="Adjustment reports">
  <a href="/reports/adjustments"<?cs if:Report.path == "/reports/adjustments" ?> class="active" aria-current="page"<?cs /if ?>>Adjustment log</a>
  <a href="/reports/failures"<?cs if:Report.path == "/reports/failures" ?> class="active" aria-current="page"<?cs /if ?>>Failure log</a>
</nav>
<?cs /def ?>

<?cs # One row's actions: its own small form (forms cannot nest, so the checkboxes belong to
     #report-bulk through their form attribute). An action that needs a reason opens a field. ?>
<?cs def:report_row_actions(id) ?>
<form method="post" action="<?cs var:Report.self ?>" class="row-actions">
  <input type="hidden" name="csrf" value="<?cs var:CSRF ?>">
  <input type="hidden" name="pick" value="<?cs var:id ?>">
  <?cs each:a = Actions ?><?cs if:!a.reason ?><button type="submit" name="action" value="<?cs var:a.name ?>" formnovalidate class="small-button<?cs if:a.danger ?> danger<?cs /if ?>"><?cs var:a.label ?></button><?cs /if ?><?cs /each ?>
  <?cs each:a = Actions ?><?cs if:a.reason ?><details class="reason"><summary><?cs var:a.label ?></summary>
    <label for="f-reason-<?cs var:a.name ?>-<?cs var:id ?>">Reason</label>
    <input id="f-reason-<?cs var:a.name ?>-<?cs var:id ?>" name="reason" maxlength="500" required>
    <button type="submit" name="action" value="<?cs var:a.name ?>" class="small-button<?cs if:a.danger ?> danger<?cs /if ?>"><?cs var:a.label ?></button>
  </details><?cs /if ?><?cs /each ?>
</form>
<?cs /def ?>

<?cs def:report_body() ?>
<form method="get" action="<?cs var:Report.path ?>" class="filters panel" id="report-filters">
  <?cs if:Filters.dates ?>
  <div class="field"><label for="f-from">From</label><input id="f-from" name="from" type="date" value="<?cs var:Filter.from ?>" required></div>
  <div class="field"><label for="f-to">To</label><input id="f-to" name="to" type="date" value="<?cs var:Filter.to ?>" required></div>
  <?cs /if ?>
  <?cs if:Filters.source ?>
  <div class="field"><label for="f-source">Source</label>
    <select id="f-source" name="source"><option value="">all sources</option>
    <?cs each:o = Sources ?><option value="<?cs var:o.id ?>"<?cs if:o.id == Filter.source ?> selected<?cs /if ?>><?cs var:o.name ?></option><?cs /each ?>
    </select></div>
  <?cs /if ?>
  <?cs if:Filters.company ?><div class="field"><label for="f-company">Company</label><input id="f-company" name="company" value="<?cs var:Filter.company ?>" maxlength="200"></div><?cs /if ?>
  <?cs if:Filters.subscription ?><div class="field"><label for="f-subscription">Subscription</label><input id="f-subscription" name="subscription" value="<?cs var:Filter.subscription ?>" maxlength="200"></div><?cs /if ?>
  <?cs if:Filters.resource ?><div class="field"><label for="f-resource">Resource</label><input id="f-resource" name="resource" value="<?cs var:Filter.resource ?>" maxlength="200"></div><?cs /if ?>
  <?cs if:Filters.product ?><div class="field"><label for="f-product">Product</label><input id="f-product" name="product" value="<?cs var:Filter.product ?>" maxlength="200"></div><?cs /if ?>
  <?cs if:Filters.status ?>
  <div class="field"><label for="f-status">Status</label>
    <select id="f-status" name="status"><option value="">any</option>
    <?cs each:o = StatusOptions ?><option<?cs if:o == Filter.status ?> selected<?cs /if ?>><?cs var:o ?></option><?cs /each ?>
    </select></div>
  <?cs /if ?>
  <?cs if:Filters.billing ?>
  <div class="field"><label for="f-billing">Billing</label>
    <select id="f-billing" name="billing"><option value="">any</option>
    <?cs each:o = BillingOptions ?><option value="<?cs var:o.value ?>"<?cs if:o.value == Filter.billing ?> selected<?cs /if ?>><?cs var:o.label ?></option><?cs /each ?>
    </select></div>
  <?cs /if ?>
  <?cs if:Filters.q ?><div class="field"><label for="f-q">Search</label><input id="f-q" name="q" type="search" value="<?cs var:Filter.q ?>" maxlength="200" placeholder="<?cs if:Filters.dates ?>any name or error<?cs else ?>company, subscription or resource<?cs /if ?>"></div><?cs /if ?>
  <?cs if:Filter.new ?><div class="field" id="f-new-note"><input type="hidden" name="new" value="1">Only subscriptions new since the last sync (<a href="<?cs var:Report.path ?>">show all</a>)</div><?cs /if ?>
  <input type="hidden" name="sort" value="<?cs var:Filter.sort ?>">
  <input type="hidden" name="dir" value="<?cs var:Filter.dir ?>">
  <button type="submit">Filter</button>
  <a class="button secondary" href="<?cs var:Report.path ?>">Clear</a>
  <a class="button secondary" id="export-csv" href="<?cs var:Export.href ?>">Export to CSV</a>
</form>
<?cs if:Total == "0" ?>
<div class="panel muted" id="report-empty">Nothing matches these filters.</div>
<?cs else ?>
<?cs if:Chart.days ?><?cs call:day_chart(Chart, Chart.title) ?><?cs elif:#Chart.n > #0 ?><?cs call:bar_chart(Chart, Chart.title) ?><?cs /if ?>
<div class="table-scroll">
<table class="report" id="report-table">
  <thead><tr>
  <?cs if:Report.actions ?><th class="select"><span class="visually-hidden">Select</span></th><?cs /if ?>
  <?cs each:c = Cols ?><th data-key="<?cs var:c.key ?>" aria-sort="<?cs var:c.aria ?>"<?cs if:c.num ?> class="num"<?cs /if ?>><a href="<?cs var:c.href ?>"><?cs var:c.label ?><?cs if:c.sorted == "asc" ?> <span aria-hidden="true">▲</span><?cs elif:c.sorted == "desc" ?> <span aria-hidden="true">▼</span><?cs /if ?></a></th><?cs /each ?>
  <?cs if:Report.actions ?><th class="row-actions">Actions</th><?cs /if ?>
  </tr></thead>
  <tbody>
  <?cs each:r = Rows ?><tr<?cs if:r.id ?> data-id="<?cs var:r.id ?>"<?cs /if ?><?cs if:r.kind ?> data-kind="<?cs var:r.kind ?>"<?cs /if ?>><?cs if:Report.actions ?><td class="select"><?cs if:r.id ?><input type="checkbox" name="pick" value="<?cs var:r.id ?>" form="report-bulk" aria-label="Select <?cs var:Report.row_noun ?> <?cs var:r.id ?>"><?cs /if ?></td><?cs /if ?><?cs each:v = r.C ?><td<?cs if:v.cls ?> class="<?cs var:v.cls ?>"<?cs /if ?>><?cs if:v.href ?><a href="<?cs var:v.href ?>" class="detail-link"><?cs var:v ?></a><?cs else ?><?cs var:v ?><?cs /if ?></td><?cs /each ?><?cs if:Report.actions ?><td class="row-actions"><?cs if:r.id ?><?cs call:report_row_actions(r.id) ?><?cs /if ?></td><?cs /if ?></tr>
  <?cs /each ?>
  </tbody>
  <tfoot><tr class="totals" data-rows="<?cs var:Totals.rows ?>"><?cs if:Report.actions ?><td class="select"></td><?cs /if ?><?cs each:v = Totals.C ?><td<?cs if:v.cls ?> class="<?cs var:v.cls ?>"<?cs /if ?><?cs if:v.key ?> data-total="<?cs var:v.key ?>"<?cs /if ?>><?cs var:v ?></td><?cs /each ?><?cs if:Report.actions ?><td class="row-actions"></td><?cs /if ?></tr></tfoot>
</table>
</div>
<div class="pager">
  <?cs if:Pager.first ?><a href="<?cs var:Pager.first ?>" rel="first">First</a><?cs /if ?>
  <?cs if:Pager.prev ?><a href="<?cs var:Pager.prev ?>" rel="prev">Previous</a><?cs /if ?>
  <span>Page <?cs var:Page ?> of <?cs var:Pages ?> · <?cs var:Total ?> rows</span>
  <?cs if:Pager.next ?><a href="<?cs var:Pager.next ?>" rel="next">Next</a><?cs /if ?>
  <?cs if:Pager.last ?><a href="<?cs var:Pager.last ?>" rel="last">Last</a><?cs /if ?>
</div>
<?cs if:Report.actions ?>
<form method="post" action="<?cs var:Report.self ?>" class="filters panel bulk-actions" id="report-bulk">
  <input type="hidden" name="csrf" value="<?cs var:CSRF ?>">
  <span class="muted">With the checked rows:</span>
  <?cs if:Report.reason ?><div class="field"><label for="f-bulk-reason">Reason</label><input id="f-bulk-reason" name="reason" maxlength="500"></div><?cs /if ?>
  <?cs each:a = Actions ?><button type="submit" name="action" value="<?cs var:a.name ?>"<?cs if:a.danger ?> class="danger"<?cs /if ?>><?cs var:a.label ?></button><?cs /each ?>
</form>
<?cs /if ?>
<?cs /if ?>
<?cs /def ?>
