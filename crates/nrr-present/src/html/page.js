(function () {
  'use strict';
  // The drill-down data: text, never markup. Everything below sets textContent only.
  var data = JSON.parse(document.getElementById('nrr-data').textContent || '{}');
  var own = function (o, k) { return o && Object.prototype.hasOwnProperty.call(o, k); };

  function fmt(cents) {
    var neg = cents < 0, c = Math.abs(cents);
    var whole = String(Math.floor(c / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    var frac = c % 100;
    return (neg ? '-' : '') + whole + '.' + (frac < 10 ? '0' : '') + frac;
  }

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined) { e.textContent = text; }
    if (cls) { e.className = cls; }
    return e;
  }

  // Switches: show the view of a group whose data-view is the button's.
  function show(group, view) {
    var views = document.querySelectorAll('[data-group]');
    for (var i = 0; i < views.length; i++) {
      if (views[i].getAttribute('data-group') === group) {
        views[i].hidden = views[i].getAttribute('data-view') !== view;
      }
    }
  }
  var switches = document.querySelectorAll('.switch');
  for (var s = 0; s < switches.length; s++) {
    (function (sw) {
      var buttons = sw.querySelectorAll('button');
      for (var b = 0; b < buttons.length; b++) {
        buttons[b].addEventListener('click', function (e) {
          show(sw.getAttribute('data-switch'), e.currentTarget.getAttribute('data-view'));
          for (var x = 0; x < buttons.length; x++) {
            buttons[x].setAttribute('aria-pressed', String(buttons[x] === e.currentTarget));
          }
        });
      }
    })(switches[s]);
  }
  var select = document.getElementById('waterfall-period');
  if (select) {
    select.addEventListener('change', function () { show('waterfall', select.value); });
  }

  var panel = document.getElementById('drill');
  var currency = data.currency || '';

  function drill(period, category) {
    if (!panel || !own(data.drill, period + '|' + category)) { return; }
    var list = data.drill[period + '|' + category];
    document.getElementById('drill-title').textContent = period + ' ' + category;
    document.getElementById('drill-summary').textContent =
      fmt(list.shown) + ' ' + currency + ' from ' + list.count +
      (list.count === 1 ? ' customer' : ' customers') + ', largest first.';
    var body = document.querySelector('#drill-table tbody');
    body.textContent = '';
    list.top.forEach(function (entry) {
      var c = data.customers[entry[0]];
      var tr = el('tr');
      var td = el('td', undefined, 'label');
      var button = el('button', c.id, 'customer-link');
      button.type = 'button';
      button.setAttribute('data-customer', String(entry[0]));
      td.appendChild(button);
      tr.appendChild(td);
      var amount = el('td', fmt(entry[1]), 'num');
      amount.setAttribute('data-v', (entry[1] / 100).toFixed(2));
      tr.appendChild(amount);
      body.appendChild(tr);
    });
    document.getElementById('drill-rest').textContent = list.others > 0
      ? 'and ' + list.others + ' more ' + (list.others === 1 ? 'customer' : 'customers') +
        ': ' + fmt(list.others_cents) + ' ' + currency + ' (nrr movements lists every one).'
      : '';
    document.getElementById('customer').hidden = true;
    panel.hidden = false;
    panel.scrollIntoView({ block: 'nearest' });
  }

  function sparkline(values) {
    var ns = 'http://www.w3.org/2000/svg';
    var svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 600 120');
    svg.setAttribute('class', 'chart spark');
    var max = Math.max.apply(null, values.concat([1]));
    var n = Math.max(values.length - 1, 1);
    var points = values.map(function (v, i) {
      return (10 + i * 580 / n).toFixed(1) + ',' + (110 - v / max * 100).toFixed(1);
    });
    var line = document.createElementNS(ns, 'polyline');
    line.setAttribute('points', points.join(' '));
    line.setAttribute('class', 'net');
    svg.appendChild(line);
    return svg;
  }

  function customer(index) {
    var c = data.customers[index];
    if (!c) { return; }
    document.getElementById('customer-title').textContent = c.id + ': MRR by month';
    var chart = document.getElementById('customer-chart');
    chart.textContent = '';
    chart.appendChild(sparkline(c.mrr));
    var moves = {}, notes = {};
    c.moves.forEach(function (m) { moves[m[0]] = m; });
    c.notes.forEach(function (n) { notes[n[0]] = (notes[n[0]] ? notes[n[0]] + ' | ' : '') + n[1]; });
    var body = document.querySelector('#customer-table tbody');
    body.textContent = '';
    c.mrr.forEach(function (v, i) {
      var tr = el('tr');
      tr.appendChild(el('td', data.months[i], 'label'));
      tr.appendChild(el('td', fmt(v), 'num'));
      tr.appendChild(el('td', own(moves, i) ? moves[i][1] : '', 'label'));
      tr.appendChild(el('td', own(moves, i) ? fmt(moves[i][2]) : '', 'num'));
      tr.appendChild(el('td', own(notes, i) ? notes[i] : '', 'note'));
      body.appendChild(tr);
    });
    document.getElementById('customer').hidden = false;
  }

  function activate(target) {
    var bar = target.closest('[data-category][data-period]');
    if (bar) { drill(bar.getAttribute('data-period'), bar.getAttribute('data-category')); return; }
    var link = target.closest('[data-customer]');
    if (link) { customer(Number(link.getAttribute('data-customer'))); }
  }
  document.addEventListener('click', function (e) {
    if (e.target instanceof Element) { activate(e.target); }
  });
  document.addEventListener('keydown', function (e) {
    if ((e.key === 'Enter' || e.key === ' ') && e.target instanceof Element &&
        e.target.hasAttribute('data-category')) {
      e.preventDefault();
      activate(e.target);
    }
  });
  var close = document.getElementById('drill-close');
  if (close) { close.addEventListener('click', function () { panel.hidden = true; }); }
})();
