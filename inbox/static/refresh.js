// The tickets page reloads itself every data-seconds seconds, so urgent tickets appear without a click; staff can
// stop it (a link on the page, WCAG 2.2.1). Not while someone is using a form or a button: it waits for them.
(function () {
  "use strict";
  var seconds = Number(document.currentScript && document.currentScript.dataset.seconds);
  if (!(seconds > 0)) return;
  function later() {
    window.setTimeout(function () {
      var active = document.activeElement;
      if (active && active.matches("input, textarea, select, button")) {
        later();
      } else {
        window.location.reload();
      }
    }, seconds * 1000);
  }
  later();
})();
