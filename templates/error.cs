<?cs include:"layout.cs" ?>
<?cs call:page_start(Error.title) ?>
<div class="panel error-page">
  <p class="status">Error <?cs var:Error.status ?></p>
  <p><?cs var:Error.message ?></p>
  <p><a href="/">Go to the dashboard</a><?cs if:!?User.email ?> or <a href="/login">sign in</a><?cs /if ?>.</p>
</div>
<?cs call:page_end() ?>
