// "Select all" for the review queue's bulk approval. Delegated from the document so it keeps
// working after htmx swaps in new rows; without JavaScript each row is ticked by hand.
document.addEventListener("change", function (event) {
  var toggle = event.target;
  if (!toggle.matches || !toggle.matches("input[data-select-all]")) {
    return;
  }
  var boxes = document.querySelectorAll("input." + toggle.getAttribute("data-select-all"));
  boxes.forEach(function (box) {
    box.checked = toggle.checked;
  });
});
