// Signing acts ask before they sign: a form with data-confirm="…" opens a <dialog> naming what
// will be signed; "确认" submits the form, "取消" or Esc leaves it untouched. data-confirm-items
// names checkboxes (e.g. a bulk selection) whose data-label lines are listed and whose count
// replaces "{n}". Without JavaScript the form submits directly; the server checks everything anyway.
(function () {
  var dialog;

  function build() {
    dialog = document.createElement("dialog");
    dialog.className = "confirm-dialog";
    dialog.innerHTML = '<form method="dialog"><h2>请确认</h2><p class="confirm-text"></p><ul class="confirm-items"></ul>' +
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
    var items = form.dataset.confirmItems ? document.querySelectorAll(form.dataset.confirmItems) : [];
    var list = box.querySelector(".confirm-items");
    list.textContent = "";
    Array.prototype.forEach.call(items, function (item) {
      var line = document.createElement("li");
      line.textContent = item.getAttribute("data-label") || item.value;
      list.appendChild(line);
    });
    box.querySelector(".confirm-text").textContent = form.getAttribute("data-confirm").replace("{n}", items.length);
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
