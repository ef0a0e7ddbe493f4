"""Database models, one module per aggregate.

Glossary (Chinese term → name in code):
  行政区划 Region · 组织/单位 Organization · 用人单位 unit · 主管部门 department ·
  职改办 (县/市/省) county_office / city_office / province_office · 评委会办事机构 committee ·
  人才服务/档案托管机构 talent_center · 专业技术人员 Person · 职称证书 Certificate ·
  证书编号 cert_no · 职称系列 series · 职称级别 level · 职称名称 title_name · 取得方式 obtain_method ·
  佐证材料 EvidenceFile · 审核/操作留痕 AuditEntry · 代码表 CodeItem · 登录日志 LoginEvent ·
  采集任务 Campaign · 各级截止时间 CampaignDeadline · 通知公告 InternalNotice · 站内消息 Message ·
  统计 StatCell/StatFlow · 定时任务记录 JobRun ·
  年度评审部署 EvaluationPlan · 评审阶段 EvaluationStage · 申报材料清单 ChecklistItem ·
  申报 Application · 业绩成果 Achievement · 申报材料 ApplicationMaterial ·
  职称电子证书 ECertificate · 使用件 ECertificate(kind=use_copy) · 电子证书核验记录 ECertificateCheck ·
  评审专家 Expert · 评审会议 CommitteeMeeting · 出席评委 MeetingMember · 回避（利害关系） RelatedMark ·
  表决票数 VoteCount · 已投票记录 BallotCast · 确认文件 Confirmation.
"""
from portal.models.audit import AuditEntry
from portal.models.blacklist import BlacklistEntry
from portal.models.campaign import Campaign, CampaignDeadline
from portal.models.certificate import Certificate
from portal.models.codes import CodeItem
from portal.models.committee import (BallotCast, CommitteeMeeting, Confirmation, Expert, MeetingMember, RelatedMark,
                                     VoteCount)
from portal.models.evidence import EvidenceFile
from portal.models.evaluation import (Achievement, Application, ApplicationMaterial, ChecklistItem, EvaluationPlan,
                                      EvaluationStage, SocialInsuranceRecord)
from portal.models.import_job import ImportJob
from portal.models.job_run import JobRun
from portal.models.login_event import LoginEvent
from portal.models.message import InternalNotice, Message, NoticeAttachment, NoticeRecipient
from portal.models.org import Organization
from portal.models.notice import NoticeEntry, Objection, PublicNotice, WorkdayOverride, WorkdayYear
from portal.models.person import Person
from portal.models.region import Region
from portal.models.stats import StatCell, StatFlow, StatMargin, StatRegionCell, StatState
from portal.models.user import User
from portal.models.verification import ApiKey, CertificateCorrection, VerificationLookup
from portal.models.document import IssuedDocument, SigningCredential
from portal.models.ecert import ECertificate, ECertificateCheck

__all__ = [
    "Achievement",
    "BallotCast",
    "CommitteeMeeting",
    "Confirmation",
    "Expert",
    "MeetingMember",
    "RelatedMark",
    "VoteCount",
    "Application",
    "SocialInsuranceRecord",
    "ApplicationMaterial",
    "IssuedDocument",
    "ECertificate",
    "ECertificateCheck",
    "SigningCredential",
    "AuditEntry",
    "BlacklistEntry",
    "Campaign",
    "CampaignDeadline",
    "Certificate",
    "CodeItem",
    "EvidenceFile",
    "ImportJob",
    "InternalNotice",
    "JobRun",
    "LoginEvent",
    "Message",
    "NoticeAttachment",
    "NoticeRecipient",
    "StatCell",
    "StatFlow",
    "StatMargin",
    "StatRegionCell",
    "StatState",
    "NoticeEntry",
    "Objection",
    "Organization",
    "PublicNotice",
    "WorkdayOverride",
    "WorkdayYear",
    "Person",
    "Region",
    "User",
    "ApiKey",
    "CertificateCorrection",
    "ChecklistItem",
    "EvaluationPlan",
    "EvaluationStage",
    "VerificationLookup",
]
