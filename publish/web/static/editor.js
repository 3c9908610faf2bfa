/* The SPARQL editor: YASGUI over this endpoint. Its settings come from the page's #yasgui
   element (data-endpoint, data-initial), so the page needs no inline script and the
   Content-Security-Policy can forbid them. */
(function () {
  "use strict";
  var element = document.getElementById("yasgui");
  var initial = element.dataset.initial;
  Yasgui.Yasqe.defaults.autocompleters = ["prefixes", "variables"];
  var yasgui = new Yasgui(element, {
    requestConfig: { endpoint: element.dataset.endpoint, method: "POST" },
    copyEndpointOnNewTab: false,
    persistenceId: null,
    yasqe: { value: initial }
  });
  window.thbkgYasgui = yasgui;
  var tab = yasgui.getTab();
  if (tab && !tab.getYasqe().getValue().trim()) { tab.getYasqe().setValue(initial); }
  document.querySelectorAll("#stored-queries button").forEach(function (button) {
    button.addEventListener("click", function () {
      var current = yasgui.getTab();
      current.getYasqe().setValue(button.dataset.query);
      current.getYasqe().query();
    });
  });
})();
