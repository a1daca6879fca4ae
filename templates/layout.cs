<?cs # layout.cs: the shared page frame (head, sidebar navigation, flash, footer) as macros. ?>
<?cs def:page_start(title) ?><!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title><?cs var:title ?> · billsync</title>
<?cs if:Page.refresh ?><meta http-equiv="refresh" content="<?cs var:Page.refresh ?>"><?cs /if ?>
<link rel="stylesheet" href="/static/css/app.css">
<script src="/static/js/app.js" defer></script>
</head>
<body<?cs if:!?User.email ?> class="bare"<?cs /if ?>>
<?cs if:?User.email ?>
<nav class="sidebar" aria-label="Main">
  <a class="brand" href="/">billsync</a>
  <div class="tenant"><?cs var:Tenant.name ?></div>
  <ul>
  <?cs each:item = Nav ?>
    <li><a href="<?cs var:item.href ?>"<?cs if:item.active ?> class="active" aria-current="page"<?cs /if ?>><?cs var:item.label ?></a></li>
  <?cs /each ?>
  </ul>
  <div class="me">
    <a href="/profile"><?cs var:User.email ?></a> <span class="role"><?cs var:User.role ?></span>
    <form method="post" action="/logout" class="inline">
      <input type="hidden" name="csrf" value="<?cs var:CSRF ?>">
      <button type="submit" class="link">Sign out</button>
    </form>
  </div>
</nav>
<?cs /if ?>
<main>
<?cs if:Flash ?><div class="flash" role="status"><?cs var:Flash ?></div><?cs /if ?>
<h1><?cs var:title ?></h1>
<?cs /def ?>

<?cs def:page_end() ?>
</main>
</body>
</html>
<?cs /def ?>

<?cs # A labelled form field with its error message next to it. ?>
<?cs def:field(name, label, type, value, error) ?>
<div class="field<?cs if:error ?> has-error<?cs /if ?>">
  <label for="f-<?cs var:name ?>"><?cs var:label ?></label>
  <input id="f-<?cs var:name ?>" name="<?cs var:name ?>" type="<?cs var:type ?>" value="<?cs var:value ?>">
  <?cs if:error ?><p class="error" id="e-<?cs var:name ?>"><?cs var:error ?></p><?cs /if ?>
</div>
<?cs /def ?>
