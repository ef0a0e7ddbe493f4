// Signing acts ask before they sign: a form with data-confirm="…" opens a <dialog> naming what
// will be signed; "确认" submits the form, "取消" or Esc leaves it untouched. Without JavaScript
// the form submits directly, as the server checks everything again anyway.
(function () {
  var dialog;

  function build() {
    dialog = document.createElement("dialog");
    dialog.className = "confirm-dialog";
    dialog.innerHTML = '<form method="dialog"><h2>请确认</h2><p class="confirm-text"></p>' +
      '<div class="confirm-actions"><button value="cancel" class="button">取消</button> ' +
      '<button value="ok" class="button primary">确认</button></div></form>';
    document.body.appendChild(dialog);
    return dialog;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-confirm]") || form.dataset.confirmed === "1") {
      return;
    }
    event.preventDefault();
    var box = dialog || build();
    box.querySelector(".confirm-text").textContent = form.getAttribute("data-confirm");
    var submitter = event.submitter;
    box.onclose = function () {
      if (box.returnValue !== "ok") {
        return;
      }
      form.dataset.confirmed = "1";
      if (form.requestSubmit) {
        form.requestSubmit(submitter || undefined);
      } else {
        form.submit();
      }
      delete form.dataset.confirmed;
    };
    box.returnValue = "";
    box.showModal();
  }, true);
})();
