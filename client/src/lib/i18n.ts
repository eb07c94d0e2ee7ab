/** Every visible string comes from here: English and Simplified Chinese, from the browser's language. */
import { createSignal } from 'solid-js';

const en = {
  'app.title': 'Lite Proxy',
  'nav.dashboard': 'Dashboard',
  'nav.models': 'Models',
  'nav.logs': 'Logs',
  'nav.chat': 'Chat',
  'nav.playground': 'GraphQL playground',
  'nav.logout': 'Log out',
  'nav.language': 'Language',
  'login.title': 'Sign in to Lite Proxy',
  'login.hint': 'Paste the admin token. The server printed it on its first start and keeps it in DATA_DIR/admin-token.',
  'login.token': 'Admin token',
  'login.submit': 'Sign in',
  'login.wrong': 'That token is not accepted by the server.',
  'login.unreachable': 'The server cannot be reached.',
  'models.title': 'Models',
  'models.add': 'Add model',
  'models.empty': 'No models yet. Add one to route requests to a backend.',
  'models.name': 'Proxy model name',
  'models.baseUrl': 'Backend base URL',
  'models.backendModel': 'Backend model',
  'models.key': 'API key',
  'models.keyPlaceholderKeep': 'Leave empty to keep the stored key',
  'models.keyClear': 'Clear the stored key',
  'models.tls': 'Skip TLS verification',
  'models.enabled': 'Enabled',
  'models.timeout': 'Timeout (ms)',
  'models.timeoutInvalid': 'The timeout must be a whole number of milliseconds.',
  'models.updated': 'Updated',
  'models.actions': 'Actions',
  'models.edit': 'Edit',
  'models.delete': 'Delete',
  'models.confirmDelete': 'Delete the model config "{name}"? Requests for it will fail once no config of that name is left.',
  'models.save': 'Save',
  'models.cancel': 'Cancel',
  'models.test': 'Test',
  'models.testing': 'Testing…',
  'models.testResult': '{status} in {ms} ms',
  'models.noKey': 'none',
  'common.loading': 'Loading…',
  'common.yes': 'yes',
  'common.no': 'no',
  'common.default': 'default',
};

type Key = keyof typeof en;

const zh: Record<Key, string> = {
  'app.title': 'Lite Proxy',
  'nav.dashboard': '仪表盘',
  'nav.models': '模型',
  'nav.logs': '日志',
  'nav.chat': '对话',
  'nav.playground': 'GraphQL 调试台',
  'nav.logout': '退出登录',
  'nav.language': '语言',
  'login.title': '登录 Lite Proxy',
  'login.hint': '粘贴管理令牌。服务器首次启动时打印过它，并保存在 DATA_DIR/admin-token 中。',
  'login.token': '管理令牌',
  'login.submit': '登录',
  'login.wrong': '服务器不接受这个令牌。',
  'login.unreachable': '无法连接服务器。',
  'models.title': '模型',
  'models.add': '添加模型',
  'models.empty': '还没有模型。添加一个，把请求转发到后端。',
  'models.name': '代理模型名',
  'models.baseUrl': '后端 Base URL',
  'models.backendModel': '后端模型',
  'models.key': 'API 密钥',
  'models.keyPlaceholderKeep': '留空则保留已存的密钥',
  'models.keyClear': '清除已存的密钥',
  'models.tls': '跳过 TLS 校验',
  'models.enabled': '启用',
  'models.timeout': '超时（毫秒）',
  'models.timeoutInvalid': '超时必须是整数毫秒。',
  'models.updated': '更新时间',
  'models.actions': '操作',
  'models.edit': '编辑',
  'models.delete': '删除',
  'models.confirmDelete': '删除模型配置“{name}”？当该名称没有任何配置时，对它的请求将会失败。',
  'models.save': '保存',
  'models.cancel': '取消',
  'models.test': '测试',
  'models.testing': '测试中…',
  'models.testResult': '{status}，耗时 {ms} 毫秒',
  'models.noKey': '无',
  'common.loading': '加载中…',
  'common.yes': '是',
  'common.no': '否',
  'common.default': '默认',
};

export type Locale = 'en' | 'zh';
const catalogues: Record<Locale, Record<Key, string>> = { en, zh };
const LOCALE_KEY = 'lite-proxy.locale';

function initialLocale(): Locale {
  const saved = localStorage.getItem(LOCALE_KEY);
  if (saved === 'en' || saved === 'zh') return saved;
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

const [locale, setLocaleSignal] = createSignal<Locale>(initialLocale());
export { locale };

export function setLocale(value: Locale): void {
  localStorage.setItem(LOCALE_KEY, value);
  document.documentElement.lang = value === 'zh' ? 'zh-CN' : 'en';
  setLocaleSignal(value);
}

export function t(key: Key, params: Record<string, string | number> = {}): string {
  return catalogues[locale()][key].replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`));
}
