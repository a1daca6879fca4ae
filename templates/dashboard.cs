<?cs include:"layout.cs" ?>
<?cs call:page_start("Dashboard") ?>
<section class="panel">
  <p>Welcome to billsync, <?cs var:User.email ?>.</p>
</section>
<?cs call:page_end() ?>
