<?cs # report_common.cs: the body the three subscription reports share: tabs, filters, export
     link, licences-per-customer chart, the sortable table with its totals row, the pager.
     Every URL is built in C (filters kept, one thing changed) and escaped here by var:. ?>
<?cs include:"chart_bars.cs" ?>
<?cs def:report_tabs() ?>
<nav class="tabs" aria-label="Reports">
  <a href="/reports/subscriptions"<?cs if:Report.path == "/reports/subscriptions" ?> class="active" aria-current="page"<?cs /if ?>>All subscriptions</a>
  <a href="/reports/linked"<?cs if:Report.path == "/reports/linked" ?> class="active" aria-current="page"<?cs /if ?>>Linked</a>
  <a href="/reports/unlinked"<?cs if:Report.path == "/reports/unlinked" ?> class="active" aria-current="page"<?cs /if ?>>Unlinked</a>
</nav>
<?cs /def ?>

<?cs def:report_body() ?>
<form method="get" action="<?cs var:Report.path ?>" class="filters panel" id="report-filters">
  <div class="field"><label for="f-source">Source</label>
    <select id="f-source" name="source"><option value="">all sources</option>
    <?cs each:o = Sources ?><option value="<?cs var:o.id ?>"<?cs if:o.id == Filter.source ?> selected<?cs /if ?>><?cs var:o.name ?></option><?cs /each ?>
    </select></div>
  <div class="field"><label for="f-company">Company</label><input id="f-company" name="company" value="<?cs var:Filter.company ?>" maxlength="200"></div>
  <div class="field"><label for="f-product">Product</label><input id="f-product" name="product" value="<?cs var:Filter.product ?>" maxlength="200"></div>
  <div class="field"><label for="f-status">Status</label>
    <select id="f-status" name="status"><option value="">any</option>
    <?cs each:o = StatusOptions ?><option<?cs if:o == Filter.status ?> selected<?cs /if ?>><?cs var:o ?></option><?cs /each ?>
    </select></div>
  <div class="field"><label for="f-q">Search</label><input id="f-q" name="q" type="search" value="<?cs var:Filter.q ?>" maxlength="200" placeholder="company, subscription or resource"></div>
  <input type="hidden" name="sort" value="<?cs var:Filter.sort ?>">
  <input type="hidden" name="dir" value="<?cs var:Filter.dir ?>">
  <button type="submit">Filter</button>
  <a class="button secondary" href="<?cs var:Report.path ?>">Clear</a>
  <a class="button secondary" id="export-csv" href="<?cs var:Export.href ?>">Export to CSV</a>
</form>
<?cs if:Total == "0" ?>
<div class="panel muted" id="report-empty">Nothing matches these filters.</div>
<?cs else ?>
<?cs if:#Chart.n > #0 ?><?cs call:bar_chart(Chart, "Licences per customer (top 10 by count)") ?><?cs /if ?>
<div class="table-scroll">
<table class="report" id="report-table">
  <thead><tr>
  <?cs each:c = Cols ?><th data-key="<?cs var:c.key ?>" aria-sort="<?cs var:c.aria ?>"<?cs if:c.num ?> class="num"<?cs /if ?>><a href="<?cs var:c.href ?>"><?cs var:c.label ?><?cs if:c.sorted == "asc" ?> <span aria-hidden="true">▲</span><?cs elif:c.sorted == "desc" ?> <span aria-hidden="true">▼</span><?cs /if ?></a></th><?cs /each ?>
  </tr></thead>
  <tbody>
  <?cs each:r = Rows ?><tr><?cs each:v = r.C ?><td<?cs if:v.cls ?> class="<?cs var:v.cls ?>"<?cs /if ?>><?cs var:v ?></td><?cs /each ?></tr>
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
<?cs /def ?>
