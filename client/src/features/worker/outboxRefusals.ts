/**
 * Words for a grid worker when the server refused something the offline queue sent
 * (离线同步冲突): Chinese first, English second, one sentence per reason code of the
 * work-order API (server/src/domain/workOrders/stateMachine.ts, workOrders.service.ts).
 */

/** A refusal as the transport reports it (HTTP 4xx of the API, or a local one of the queue). */
export interface Refusal {
  status: number;
  /** API error code: `conflict`, `forbidden`, `invalid_request`, … */
  code: string;
  /** Reason code of the refusal (`reassigned`, `state`, `too-far`, …), where the server gave one. */
  reason?: string;
  /** The server's own words (English, for the record and the curious). */
  message: string;
}

export interface Explanation {
  zh: string;
  en: string;
}

/** The queued things a worker does, as the worker app names them. */
const ACTION_NAMES: Record<string, Explanation> = {
  accept: { zh: '接单', en: 'Accept' },
  return: { zh: '退回', en: 'Return' },
  checkIn: { zh: '到场签到', en: 'Check-in' },
  report: { zh: '反馈', en: 'Report' },
  note: { zh: '备注', en: 'Note' },
  create: { zh: '巡查上报', en: 'Patrol report' },
  photo: { zh: '照片', en: 'Photo' },
};

/** The name of a queued action (`accept`, `create`, `photo`, …) in both languages; unknown names stay as given. */
export function actionName(action: string): Explanation {
  return ACTION_NAMES[action] ?? { zh: action, en: action };
}

const BY_REASON: Record<string, Explanation> = {
  reassigned: {
    zh: '您离线期间，该案卷已被改派给其他网格员，此操作未生效。',
    en: 'While you were offline the case was reassigned to another worker; this action did not take effect.',
  },
  state: {
    zh: '该案卷的状态已经变化（例如已被指挥中心作废或结案），此操作未生效。',
    en: 'The case has moved on (for example the centre cancelled or closed it); this action did not take effect.',
  },
  version: {
    zh: '您离线期间该案卷已被更新，此操作未生效，请查看案卷最新情况。',
    en: 'The case changed while you were offline; this action did not take effect. Check its latest state.',
  },
  'not-assignee': {
    zh: '该案卷未派给您，您不能执行此操作。',
    en: 'The case is not assigned to you, so you cannot do this.',
  },
  role: {
    zh: '您的账号无权执行此操作。',
    en: 'Your account may not do this.',
  },
  'wrong-code': {
    zh: '扫描的二维码与该案卷现场不匹配（QR不匹配），签到未成功。请扫描现场设备上的二维码。',
    en: "The QR code you scanned does not match this case's site; the check-in did not succeed. Scan the code on the site's device.",
  },
  'too-far': {
    zh: '签到时距离现场过远，签到未成功。请到达现场后重新签到。',
    en: 'You were too far from the site to check in. Check in again once you are there.',
  },
  inaccurate: {
    zh: '定位精度不足，无法确认您已到场，签到未成功。请到开阔处重新定位后签到。',
    en: 'Your position was not accurate enough to confirm you were on site. Get a better fix in the open and check in again.',
  },
  'photo-required': {
    zh: '反馈需要至少一张处置后的照片，此操作未生效。',
    en: 'A report needs at least one photo of the result; this action did not take effect.',
  },
  'unknown-photo': {
    zh: '所附照片在服务器上不存在（可能未上传成功），此操作未生效。请重新拍照。',
    en: 'An attached photo is not on the server (it may not have uploaded); this action did not take effect. Take it again.',
  },
  'not-your-photo': {
    zh: '所附照片不是您本人上传的，此操作未生效。',
    en: 'An attached photo was uploaded by someone else; this action did not take effect.',
  },
  'photo-attached': {
    zh: '所附照片已属于其他案卷，此操作未生效。',
    en: 'An attached photo already belongs to another case; this action did not take effect.',
  },
  too_large: {
    zh: '照片文件过大，无法上传。请降低相机分辨率后重新拍照。',
    en: 'The photo is too large to upload. Lower the camera resolution and take it again.',
  },
  unsupported_type: {
    zh: '照片格式不受支持（仅支持 JPEG、PNG、WEBP），无法上传。',
    en: 'The photo format is not supported (JPEG, PNG or WEBP only); it was not uploaded.',
  },
  empty: {
    zh: '照片文件为空或已损坏，无法上传。请重新拍照。',
    en: 'The photo file is empty or damaged and was not uploaded. Take it again.',
  },
  corrupt: {
    zh: '照片文件为空或已损坏，无法上传。请重新拍照。',
    en: 'The photo file is empty or damaged and was not uploaded. Take it again.',
  },
  'outside-grid': {
    zh: '上报位置不在本市网格范围内，此操作未生效。',
    en: "The reported location is outside the city's grid; this action did not take effect.",
  },
  'unknown-sensor': {
    zh: '上报所关联的设备不存在，此操作未生效。',
    en: 'The device named in the report does not exist; this action did not take effect.',
  },
};

const BY_STATUS: Record<number, Explanation> = {
  401: {
    zh: '登录已失效，请重新登录后再同步。',
    en: 'You are signed out; sign in again to send it.',
  },
  404: {
    zh: '该案卷已不存在或已不在您的负责范围内，此操作未生效。',
    en: 'The case no longer exists or is no longer yours to see; this action did not take effect.',
  },
  413: BY_REASON['too_large'] as Explanation,
  415: BY_REASON['unsupported_type'] as Explanation,
};

const withAction = (text: Explanation, action: string | undefined): Explanation => {
  if (!action) return text;
  const name = actionName(action);
  return { zh: `${name.zh}：${text.zh}`, en: `${name.en}: ${text.en}` };
};

/**
 * What to tell the worker about a refused action: the reason code decides (then the HTTP
 * status), with the action's name in front when given (`accept`, `report`, `create`,
 * `photo`…); the server's message is appended to the English text.
 */
export function explainRefusal(r: Refusal, action?: string): Explanation {
  const known = (r.reason !== undefined ? BY_REASON[r.reason] : undefined) ?? BY_STATUS[r.status];
  const text = known ?? {
    zh: `服务器拒绝了此操作，未生效（${r.code}）${r.message ? `：${r.message}` : '。'}`,
    en: 'The server refused this action; it did not take effect.',
  };
  const explained = withAction(text, action);
  return r.message ? { zh: explained.zh, en: `${explained.en} (Server: ${r.message})` } : explained;
}

/** Why a queued action was not sent: an earlier action on the same case was refused. */
export function explainBlocked(earlier: string, action: string | undefined): Explanation {
  const before = actionName(earlier);
  return withAction(
    {
      zh: `前一操作（${before.zh}）未生效，此操作已取消。`,
      en: `The earlier action (${before.en}) did not take effect, so this one was cancelled.`,
    },
    action,
  );
}

/** Why a queued action was not sent: a photo it carries could not be uploaded. */
export function explainPhotoMissing(action: string | undefined): Explanation {
  return withAction(
    {
      zh: '所附照片未能上传，此操作已取消。请重新拍照后再提交。',
      en: 'A photo it carries could not be uploaded, so it was cancelled. Take the photo again and resend.',
    },
    action,
  );
}
