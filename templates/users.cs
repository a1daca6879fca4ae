<?cs include:"layout.cs" ?>
<?cs call:page_start("Users") ?>
<section class="panel">
  <h2>People in <?cs var:Tenant.name ?></h2>
  <table>
    <thead><tr><th>E-mail</th><th>Name</th><th>Role</th><th>Status</th><th>Two-factor</th><th>Since</th><th></th></tr></thead>
    <tbody>
    <?cs each:u = Users ?>
      <tr>
        <td><?cs var:u.email ?><?cs if:u.me ?> <span class="badge">you</span><?cs /if ?></td>
        <td><?cs var:u.name ?></td>
        <td>
          <form method="post" action="/users" class="inline">
            <input type="hidden" name="csrf" value="<?cs var:CSRF ?>">
            <input type="hidden" name="action" value="role">
            <input type="hidden" name="user_id" value="<?cs var:u.id ?>">
            <select name="role" aria-label="Role of <?cs var:u.email ?>">
              <option value="admin"<?cs if:u.role == "admin" ?> selected<?cs /if ?>>admin</option>
              <option value="billing"<?cs if:u.role == "billing" ?> selected<?cs /if ?>>billing</option>
              <option value="viewer"<?cs if:u.role == "viewer" ?> selected<?cs /if ?>>viewer</option>
            </select>
            <button type="submit" class="secondary">Save</button>
          </form>
        </td>
        <td><?cs if:u.disabled == "1" ?><span class="badge bad">disabled</span><?cs elif:u.invited == "1" ?><span class="badge warn">invited</span><?cs else ?><span class="badge ok">active</span><?cs /if ?></td>
        <td><?cs if:u.totp == "1" ?>on<?cs else ?><span class="muted">off</span><?cs /if ?></td>
        <td><?cs var:u.created ?></td>
        <td>
          <form method="post" action="/users" class="inline">
            <input type="hidden" name="csrf" value="<?cs var:CSRF ?>">
            <input type="hidden" name="user_id" value="<?cs var:u.id ?>">
            <?cs if:u.disabled == "1" ?>
            <button type="submit" name="action" value="enable" class="secondary">Enable</button>
            <?cs else ?>
            <button type="submit" name="action" value="disable" class="danger" data-confirm="Disable this user? Their sessions end at once.">Disable</button>
            <?cs /if ?>
          </form>
        </td>
      </tr>
    <?cs /each ?>
    </tbody>
  </table>
</section>
<section class="panel">
  <h2>Invite someone</h2>
  <form method="post" action="/users">
    <input type="hidden" name="csrf" value="<?cs var:CSRF ?>">
    <input type="hidden" name="action" value="invite">
    <?cs call:field("email", "E-mail address", "email", Form.email, Errors.email) ?>
    <div class="field<?cs if:Errors.role ?> has-error<?cs /if ?>">
      <label for="f-role">Role</label>
      <select id="f-role" name="role">
        <option value="viewer"<?cs if:Form.role == "viewer" ?> selected<?cs /if ?>>viewer: reports and exports</option>
        <option value="billing"<?cs if:Form.role == "billing" ?> selected<?cs /if ?>>billing: mapping, approvals, retries, sync</option>
        <option value="admin"<?cs if:Form.role == "admin" ?> selected<?cs /if ?>>admin: users, connections, settings</option>
      </select>
      <?cs if:Errors.role ?><p class="error"><?cs var:Errors.role ?></p><?cs /if ?>
    </div>
    <button type="submit">Send invitation</button>
  </form>
</section>
<section class="panel">
  <h2>Security</h2>
  <form method="post" action="/users">
    <input type="hidden" name="csrf" value="<?cs var:CSRF ?>">
    <input type="hidden" name="action" value="require_2fa">
    <label><input type="checkbox" name="require_2fa" value="1"<?cs if:Require2fa == "1" ?> checked<?cs /if ?>>
      Require two-factor sign-in for everyone in <?cs var:Tenant.name ?></label>
    <button type="submit" class="secondary">Save</button>
  </form>
</section>
<?cs call:page_end() ?>
