<?cs include:"layout.cs" ?>
<?cs call:page_start("Audit log") ?>
<form method="get" action="/audit" class="filters panel">
  <div class="field"><label for="f-user">User</label>
    <select id="f-user" name="user"><option value="">everyone</option>
    <?cs each:o = UserOptions ?><option<?cs if:o == Filter.user ?> selected<?cs /if ?>><?cs var:o ?></option><?cs /each ?>
    </select></div>
  <div class="field"><label for="f-action">Action</label>
    <select id="f-action" name="action"><option value="">any</option>
    <?cs each:o = ActionOptions ?><option<?cs if:o == Filter.action ?> selected<?cs /if ?>><?cs var:o ?></option><?cs /each ?>
    </select></div>
  <div class="field"><label for="f-from">From (UTC)</label><input id="f-from" name="from" type="date" value="<?cs var:Filter.from ?>"></div>
  <div class="field"><label for="f-to">To (UTC)</label><input id="f-to" name="to" type="date" value="<?cs var:Filter.to ?>"></div>
  <button type="submit">Filter</button>
  <a class="button secondary" href="/audit?user=<?cs var:url_escape(Filter.user) ?>&amp;action=<?cs var:url_escape(Filter.action) ?>&amp;from=<?cs var:url_escape(Filter.from) ?>&amp;to=<?cs var:url_escape(Filter.to) ?>&amp;format=csv">Export CSV</a>
</form>
<?cs if:Total == "0" ?>
<div class="panel muted">Nothing matches these filters.</div>
<?cs else ?>
<p class="muted"><?cs var:Total ?> entries</p>
<table>
  <thead><tr><th>When (UTC)</th><th>User</th><th>Action</th><th>Subject</th><th>Detail</th><th>IP</th></tr></thead>
  <tbody>
  <?cs each:r = Rows ?>
    <tr><td><?cs var:r.at ?></td><td><?cs var:r.user ?></td><td><?cs var:r.action ?></td><td><?cs var:r.subject ?></td><td><?cs var:r.detail ?></td><td><?cs var:r.ip ?></td></tr>
  <?cs /each ?>
  </tbody>
</table>
<div class="pager">
  <?cs if:#Page > #1 ?><a href="/audit?user=<?cs var:url_escape(Filter.user) ?>&amp;action=<?cs var:url_escape(Filter.action) ?>&amp;from=<?cs var:url_escape(Filter.from) ?>&amp;to=<?cs var:url_escape(Filter.to) ?>&amp;page=<?cs var:Page - #1 ?>">Previous</a><?cs /if ?>
  <span>Page <?cs var:Page ?> of <?cs var:Pages ?></span>
  <?cs if:#Page < #Pages ?><a href="/audit?user=<?cs var:url_escape(Filter.user) ?>&amp;action=<?cs var:url_escape(Filter.action) ?>&amp;from=<?cs var:url_escape(Filter.from) ?>&amp;to=<?cs var:url_escape(Filter.to) ?>&amp;page=<?cs var:Page + #1 ?>">Next</a><?cs /if ?>
</div>
<?cs /if ?>
<?cs call:page_end() ?>
