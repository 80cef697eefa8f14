// Keygate usage dashboard: signs in with Keycloak (authorization code + PKCE, public client) and draws the analytics
// API's answers. No framework and no build step; charts are inline SVG.
'use strict';

const TOKEN_KEY = 'keygate.dashboard.token';
const LOGIN_KEY = 'keygate.dashboard.login';
const API = '/api/v1/analytics';
const SVG = 'http://www.w3.org/2000/svg';

let config;
let session = JSON.parse(sessionStorage.getItem(TOKEN_KEY) || 'null');

const $ = (id) => document.getElementById(id);

function status(text, state) {
    $('status').textContent = text;
    $('status').dataset.state = state;
}

function base64Url(bytes) {
    let text = '';
    new Uint8Array(bytes).forEach((b) => { text += String.fromCharCode(b); });
    return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomText() {
    return base64Url(crypto.getRandomValues(new Uint8Array(32)));
}

function redirectUri() {
    return window.location.origin + '/dashboard/';
}

async function signIn() {
    const verifier = randomText();
    const state = randomText();
    const challenge = base64Url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
    sessionStorage.setItem(LOGIN_KEY, JSON.stringify({ verifier, state }));
    const query = new URLSearchParams({
        client_id: config.client_id, response_type: 'code', scope: 'openid', redirect_uri: redirectUri(),
        state, code_challenge: challenge, code_challenge_method: 'S256'
    });
    window.location.assign(config.authorization_endpoint + '?' + query);
}

function signOut() {
    const idToken = session && session.id_token;
    sessionStorage.removeItem(TOKEN_KEY);
    session = null;
    const query = new URLSearchParams({ client_id: config.client_id, post_logout_redirect_uri: redirectUri() });
    if (idToken) {
        query.set('id_token_hint', idToken);
    }
    window.location.assign(config.logout_endpoint + '?' + query);
}

async function tokenRequest(fields) {
    const response = await fetch('/dashboard/token', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(Object.assign({ client_id: config.client_id }, fields))
    });
    if (!response.ok) {
        let detail = 'Keycloak refused the sign-in (' + response.status + ')';
        try {
            detail = (await response.json()).detail || detail;
        } catch (ignored) {
            // Keycloak's own error body, not a problem+json
        }
        throw new Error(detail);
    }
    session = await response.json();
    sessionStorage.setItem(TOKEN_KEY, JSON.stringify(session));
}

async function finishSignIn(params) {
    const login = JSON.parse(sessionStorage.getItem(LOGIN_KEY) || 'null');
    sessionStorage.removeItem(LOGIN_KEY);
    window.history.replaceState(null, '', '/dashboard/');
    if (params.get('error')) {
        throw new Error('Sign-in failed: ' + params.get('error'));
    }
    if (!login || login.state !== params.get('state')) {
        throw new Error('Sign-in answer does not match this browser session; sign in again.');
    }
    await tokenRequest({
        grant_type: 'authorization_code', code: params.get('code'), redirect_uri: redirectUri(),
        code_verifier: login.verifier
    });
}

function claims(token) {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(decodeURIComponent(escape(atob(part))));
}

async function api(path, params, accept) {
    const url = API + path + '?' + new URLSearchParams(params);
    const send = () => fetch(url, {
        headers: { Authorization: 'Bearer ' + session.access_token, Accept: accept || 'application/json' }
    });
    let response = await send();
    if (response.status === 401 && session.refresh_token) {
        await tokenRequest({ grant_type: 'refresh_token', refresh_token: session.refresh_token });
        response = await send();
    }
    if (!response.ok) {
        let detail = response.statusText;
        try {
            detail = (await response.json()).detail || detail;
        } catch (ignored) {
            // not a problem+json body
        }
        throw new Error(detail);
    }
    return accept === 'text/csv' ? response : response.json();
}

function isoDay(date) {
    return date.toISOString().slice(0, 10);
}

function period() {
    const from = $('from').value;
    const to = $('to').value;
    if (!from || !to) {
        throw new Error('Choose both a first and a last day.');
    }
    const end = new Date(to + 'T00:00:00Z');
    end.setUTCDate(end.getUTCDate() + 1);
    return { from: from + 'T00:00:00Z', to: end.toISOString().replace('.000Z', 'Z') };
}

function filters() {
    const p = period();
    const provider = $('provider').value;
    const model = $('model').value;
    if (provider) {
        p.provider = provider;
    }
    if (model) {
        p.model = model;
    }
    return p;
}

function tokens(value) {
    return Number(value).toLocaleString('en-US');
}

function usd(value) {
    return Number(value).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 6 });
}

function percent(value) {
    return (Number(value) * 100).toFixed(2) + ' %';
}

function cell(row, text, numeric) {
    const td = document.createElement('td');
    td.textContent = text === null || text === undefined ? '–' : text;
    if (numeric) {
        td.className = 'number';
    }
    row.appendChild(td);
    return td;
}

function fillTable(id, rows, columns) {
    const body = $(id).querySelector('tbody');
    body.replaceChildren();
    rows.forEach((data) => {
        const tr = document.createElement('tr');
        columns.forEach(([value, numeric]) => cell(tr, value(data), numeric));
        body.appendChild(tr);
    });
    if (rows.length === 0) {
        const tr = document.createElement('tr');
        cell(tr, 'No usage in this period').colSpan = columns.length;
        body.appendChild(tr);
    }
}

function fillOptions(select, values) {
    const chosen = select.value;
    select.replaceChildren(new Option('all', ''));
    values.forEach((value) => select.appendChild(new Option(value, value)));
    select.value = values.includes(chosen) ? chosen : '';
}

function buckets(p, unit) {
    const all = [];
    const step = unit === 'hour' ? 3600e3 : 86400e3;
    for (let t = Date.parse(p.from); t < Date.parse(p.to); t += step) {
        all.push(new Date(t).toISOString().replace('.000Z', 'Z'));
    }
    return all;
}

function barChart(id, series, format) {
    const width = 600;
    const height = 200;
    const left = 70;
    const bottom = 20;
    const max = Math.max(...series.map((point) => point.value), 0);
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
    svg.setAttribute('role', 'img');
    const text = (x, y, content, anchor) => {
        const label = document.createElementNS(SVG, 'text');
        label.setAttribute('x', x);
        label.setAttribute('y', y);
        label.setAttribute('font-size', '11');
        label.setAttribute('text-anchor', anchor || 'start');
        label.textContent = content;
        svg.appendChild(label);
    };
    const axis = document.createElementNS(SVG, 'path');
    axis.setAttribute('d', 'M' + left + ' 5 V' + (height - bottom) + ' H' + width);
    axis.setAttribute('stroke', '#8a93a5');
    axis.setAttribute('fill', 'none');
    svg.appendChild(axis);
    text(left - 4, 12, format(max), 'end');
    text(left - 4, height - bottom, '0', 'end');
    const slot = (width - left) / Math.max(series.length, 1);
    series.forEach((point, i) => {
        const barHeight = max > 0 ? (point.value / max) * (height - bottom - 10) : 0;
        const bar = document.createElementNS(SVG, 'rect');
        bar.setAttribute('x', left + i * slot + slot * 0.1);
        bar.setAttribute('y', height - bottom - barHeight);
        bar.setAttribute('width', Math.max(slot * 0.8, 1));
        bar.setAttribute('height', barHeight);
        bar.setAttribute('fill', '#3d6fd8');
        const title = document.createElementNS(SVG, 'title');
        title.textContent = point.label + ': ' + format(point.value);
        bar.appendChild(title);
        svg.appendChild(bar);
    });
    if (series.length > 0) {
        text(left, height - 4, series[0].label.slice(0, 16));
        text(width, height - 4, series[series.length - 1].label.slice(0, 16), 'end');
    }
    $(id).replaceChildren(svg);
}

async function load() {
    status('Loading…', 'loading');
    try {
        const p = period();
        const f = filters();
        const unit = $('bucket').value;
        const [catalog, totals, series, models, tiers, users, keys, latency] = await Promise.all([
            api('/usage', Object.assign({ bucket: 'none', group_by: 'provider,model' }, p)),
            api('/usage', Object.assign({ bucket: 'none', group_by: 'none' }, f)),
            api('/usage', Object.assign({ bucket: unit, group_by: 'none' }, f)),
            api('/usage', Object.assign({ bucket: 'none', group_by: 'provider,model' }, f)),
            api('/usage', Object.assign({ bucket: 'none', group_by: 'tier' }, f)),
            api('/top-spenders', Object.assign({ by: 'user', limit: 20 }, f)),
            api('/top-spenders', Object.assign({ by: 'key', limit: 20 }, f)),
            api('/latency', f)
        ]);
        fillOptions($('provider'), [...new Set(catalog.rows.map((row) => row.provider))]);
        fillOptions($('model'), [...new Set(catalog.rows.map((row) => row.model))]);

        const total = totals.rows[0] || { cost_usd: 0, total_tokens: 0, requests: 0, error_rate: 0, unpriced_requests: 0 };
        $('total-cost').textContent = usd(total.cost_usd);
        $('total-tokens').textContent = tokens(total.total_tokens);
        $('total-requests').textContent = tokens(total.requests);
        $('error-rate').textContent = percent(total.error_rate);
        $('unpriced').textContent = total.unpriced_requests > 0
            ? total.unpriced_requests + ' calls without a price are not in this cost' : '';

        const byBucket = new Map(series.rows.map((row) => [row.bucket_start, row]));
        const points = buckets(period(), unit).map((start) => ({ label: start, row: byBucket.get(start) }));
        barChart('cost-chart', points.map((point) => ({ label: point.label, value: point.row ? Number(point.row.cost_usd) : 0 })), usd);
        barChart('tokens-chart', points.map((point) => ({ label: point.label, value: point.row ? point.row.total_tokens : 0 })), tokens);

        fillTable('by-model', models.rows, [[(r) => r.provider], [(r) => r.model || '(none)'],
            [(r) => tokens(r.requests), true], [(r) => tokens(r.total_tokens), true], [(r) => tokens(r.errors), true],
            [(r) => usd(r.cost_usd), true]]);
        fillTable('by-tier', tiers.rows, [[(r) => r.tier || '(no tier)'], [(r) => tokens(r.requests), true],
            [(r) => tokens(r.total_tokens), true], [(r) => tokens(r.errors), true], [(r) => usd(r.cost_usd), true]]);
        fillTable('by-user', users.rows, [[(r) => r.user || '(none)'], [(r) => tokens(r.requests), true],
            [(r) => tokens(r.total_tokens), true], [(r) => usd(r.cost_usd), true]]);
        fillTable('by-key', keys.rows, [[(r) => r.key || '(signed-in users, no key)'], [(r) => tokens(r.requests), true],
            [(r) => tokens(r.total_tokens), true], [(r) => usd(r.cost_usd), true]]);
        fillTable('latency', latency.rows, [[(r) => r.provider], [(r) => r.model || '(none)'],
            [(r) => tokens(r.requests), true], [(r) => r.latency_p50_ms, true], [(r) => r.latency_p95_ms, true],
            [(r) => r.latency_p99_ms, true], [(r) => r.first_byte_p50_ms, true], [(r) => r.first_byte_p95_ms, true],
            [(r) => r.first_byte_p99_ms, true]]);
        await loadBudgets();
        status('Showing ' + $('from').value + ' to ' + $('to').value + ' (UTC)'
            + (f.provider ? ', provider ' + f.provider : '') + (f.model ? ', model ' + f.model : ''), 'ready');
    } catch (error) {
        status(error.message, 'error');
    }
}

function budgetName(budget) {
    const whose = budget.scope === 'tenant' ? 'Organisation' : budget.scope === 'user' ? 'User ' + budget.subject
        : budget.scope === 'tier' ? 'License tier ' + budget.subject : 'Proxy key ' + budget.subject;
    return whose + (budget.hard ? ' (hard)' : ' (soft)');
}

function budgetAmount(budget, usdValue, tokenValue) {
    const parts = [];
    if (budget.limit_usd !== null && budget.limit_usd !== undefined) {
        parts.push(usd(usdValue) + ' USD');
    }
    if (budget.limit_tokens !== null && budget.limit_tokens !== undefined) {
        parts.push(tokens(tokenValue) + ' tokens');
    }
    return parts.join(' / ');
}

async function loadAlerts() {
    const report = await api('/budgets/alerts', { limit: 20 });
    fillTable('alert-table', report.alerts, [[(a) => a.raised_at.replace('T', ' ').slice(0, 16) + ' UTC'],
        [budgetName], [(a) => a.period + ' from ' + a.period_start.slice(0, 10)],
        [(a) => a.level === 'exhausted' ? 'spent' : '80% used'],
        [(a) => budgetAmount(a, a.spent_usd, a.spent_tokens), true]]);
    if (report.alerts.length === 0) {
        $('alert-table').querySelector('tbody td').textContent = 'No budget alert raised';
    }
}

async function loadBudgets() {
    await loadAlerts();
    const report = await api('/budgets', {});
    const budgets = report.budgets;
    fillTable('budget-table', budgets, [[budgetName], [(b) => b.period],
        [(b) => budgetAmount(b, b.limit_usd, b.limit_tokens), true],
        [(b) => budgetAmount(b, b.spent_usd, b.spent_tokens), true],
        [(b) => b.used === null ? null : percent(b.used), true],
        [(b) => b.projected === null ? null : percent(b.projected), true],
        [(b) => b.alert || 'none']]);
    if (budgets.length === 0) {
        $('budget-table').querySelector('tbody td').textContent = 'No budget set for your organisation';
    }
    // Burn-down of the monthly budget closest to its limit: spend so far this month, day by day.
    const monthly = budgets.filter((b) => b.period === 'month' && b.used !== null)
        .sort((a, b) => Number(b.used) - Number(a.used))[0];
    if (!monthly) {
        $('burn-down-caption').textContent = 'Burn-down (no monthly budget)';
        $('burn-down').replaceChildren();
        return;
    }
    const byCost = monthly.limit_usd !== null && monthly.limit_usd !== undefined;
    const spentByDay = new Map(monthly.days.map((d) => [d.day, byCost ? Number(d.cost_usd) : d.tokens]));
    const points = [];
    let total = 0;
    for (let t = Date.parse(monthly.period_start); t < Math.min(Date.now(), Date.parse(monthly.period_end)); t += 86400e3) {
        const day = new Date(t).toISOString().slice(0, 10);
        total += spentByDay.get(day) || 0;
        points.push({ label: day, value: total });
    }
    $('burn-down-caption').textContent = 'Burn-down: ' + budgetName(monthly) + ', spent so far this month of '
        + (byCost ? usd(monthly.limit_usd) + ' USD' : tokens(monthly.limit_tokens) + ' tokens');
    barChart('burn-down', points, byCost ? usd : tokens);
}

async function downloadCsv() {
    try {
        const response = await api('/usage', Object.assign({ bucket: 'day', group_by: 'provider,model,tier' }, filters()),
            'text/csv');
        const match = /filename="([^"]+)"/.exec(response.headers.get('Content-Disposition') || '');
        const link = document.createElement('a');
        link.href = URL.createObjectURL(await response.blob());
        link.download = match ? match[1] : 'keygate-usage.csv';
        link.click();
        URL.revokeObjectURL(link.href);
    } catch (error) {
        status(error.message, 'error');
    }
}

function preset(days) {
    const today = new Date();
    const first = new Date(today);
    first.setUTCDate(first.getUTCDate() - days + 1);
    $('from').value = isoDay(first);
    $('to').value = isoDay(today);
    load();
}

async function start() {
    config = await (await fetch('/dashboard/config.json')).json();
    $('sign-in').addEventListener('click', signIn);
    $('sign-out').addEventListener('click', signOut);
    const params = new URLSearchParams(window.location.search);
    try {
        if (params.has('code') || params.has('error')) {
            await finishSignIn(params);
        }
    } catch (error) {
        status(error.message, 'error');
    }
    if (!session) {
        $('sign-in').hidden = false;
        if ($('status').dataset.state !== 'error') {
            status('Sign in with your Keygate account to see your organisation\'s usage.', 'signed-out');
        }
        return;
    }
    const who = claims(session.access_token);
    $('signed-in-as').textContent = (who.preferred_username || who.sub) + ' · ' + (who.tenant_id || 'no tenant');
    $('sign-out').hidden = false;
    $('dashboard').hidden = false;
    $('filters').addEventListener('submit', (event) => {
        event.preventDefault();
        load();
    });
    $('download-csv').addEventListener('click', downloadCsv);
    document.querySelectorAll('.presets button').forEach((button) =>
        button.addEventListener('click', () => preset(Number(button.dataset.days))));
    preset(7);
}

start();
