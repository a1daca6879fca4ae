<?cs include:"layout.cs" ?>
<?cs def:mode_opt(value, current, label) ?><option value="<?cs var:value ?>"<?cs if:value == current ?> selected<?cs /if ?>><?cs var:label ?></option><?cs /def ?>
<?cs def:policy_label(p) ?><?cs if:p.mode == "markup" ?>Cost + <?cs var:p.markup ?> %<?cs elif:p.mode == "srp" ?>Suggested retail price<?cs else ?>Keep the PSA price<?cs /if ?><?cs if:p.maintain == "1" ?>, follows cost changes<?cs /if ?><?cs /def ?>
<?cs call:page_start("Price policies") ?>
<p class="muted">How billsync sets sell prices. By default it never changes a price in your PSA. With cost + markup
or the distributor's suggested retail price, a service billsync creates is priced that way, and when
"follow cost changes" is on, a cost change at the distributor proposes the new price next to the new cost
(a person approves every price change, with the margin before and after). A policy for a service wins over
one for a PSA account, which wins over the default.</p>
<form method="post" action="/settings/pricing" class="panel">
  <input type="hidden" name="csrf" value="<?cs var:CSRF ?>">
  <input type="hidden" name="action" value="tenant">
  <fieldset><legend>Default price policy</legend>
    <div class="field"><label for="f-mode">Price</label>
      <select id="f-mode" name="mode">
        <?cs call:mode_opt("keep", Tenant.mode, "Keep the PSA price") ?>
        <?cs call:mode_opt("markup", Tenant.mode, "Cost + markup %") ?>
        <?cs call:mode_opt("srp", Tenant.mode, "Distributor's suggested retail price") ?>
      </select></div>
    <div class="field"><label for="f-markup">Markup (%)</label>
      <input id="f-markup" name="markup" inputmode="decimal" maxlength="8" value="<?cs var:Tenant.markup ?>"></div>
    <label class="choice"><input type="checkbox" name="maintain" value="1"<?cs if:Tenant.maintain == "1" ?> checked<?cs /if ?>> Follow cost changes (each price change waits for approval)</label>
  </fieldset>
  <button type="submit">Save default</button>
</form>
<h2>Overrides</h2>
<?cs if:subcount(Overrides) == 0 ?>
<div class="panel">No overrides: every PSA account and service follows the default.</div>
<?cs else ?>
<table>
  <thead><tr><th>For</th><th>PSA account or service</th><th>Policy</th><th></th></tr></thead>
  <tbody>
  <?cs each:o = Overrides ?>
  <tr>
    <td><?cs if:o.scope == "company" ?>PSA account<?cs else ?>Service<?cs /if ?></td>
    <td><?cs var:o.name ?></td>
    <td><?cs call:policy_label(o) ?></td>
    <td><form method="post" action="/settings/pricing">
      <input type="hidden" name="csrf" value="<?cs var:CSRF ?>">
      <input type="hidden" name="action" value="delete"><input type="hidden" name="scope" value="<?cs var:o.scope ?>">
      <input type="hidden" name="conn" value="<?cs var:o.conn ?>"><input type="hidden" name="id" value="<?cs var:o.id ?>">
      <button type="submit" class="danger">Remove</button></form></td>
  </tr>
  <?cs /each ?>
  </tbody>
</table>
<?cs /if ?>
<?cs def:override_form(scope, label, list) ?>
<form method="post" action="/settings/pricing" class="panel">
  <input type="hidden" name="csrf" value="<?cs var:CSRF ?>">
  <input type="hidden" name="action" value="add"><input type="hidden" name="scope" value="<?cs var:scope ?>">
  <fieldset><legend>Override for a <?cs var:label ?></legend>
    <div class="field"><label for="f-t-<?cs var:scope ?>"><?cs var:label ?></label>
      <select id="f-t-<?cs var:scope ?>" name="target"><?cs each:t = list ?><option value="<?cs var:t.value ?>"><?cs var:t.name ?></option><?cs /each ?></select></div>
    <div class="field"><label for="f-m-<?cs var:scope ?>">Price</label>
      <select id="f-m-<?cs var:scope ?>" name="mode">
        <option value="keep">Keep the PSA price</option><option value="markup">Cost + markup %</option>
        <option value="srp">Distributor's suggested retail price</option></select></div>
    <div class="field"><label for="f-k-<?cs var:scope ?>">Markup (%)</label>
      <input id="f-k-<?cs var:scope ?>" name="markup" inputmode="decimal" maxlength="8"></div>
    <label class="choice"><input type="checkbox" name="maintain" value="1"> Follow cost changes</label>
  </fieldset>
  <button type="submit">Add override</button>
</form>
<?cs /def ?>
<?cs if:subcount(Companies) > 0 ?><?cs call:override_form("company", "PSA account", Companies) ?><?cs /if ?>
<?cs if:subcount(Services) > 0 ?><?cs call:override_form("product", "service", Services) ?><?cs /if ?>
<?cs call:page_end() ?>
