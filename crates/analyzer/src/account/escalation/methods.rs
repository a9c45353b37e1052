//! The compute services a role can be handed to, and the requests that create or edit the resource
//! that runs as it: the escalation methods' data, one row per method.

use super::Method;

/// A compute service a role can be passed to, and the requests that create and start the
/// resource (any one alternative suffices). `{account}`, `{region}` are filled in.
pub(super) struct Compute {
    pub(super) method: Method,
    pub(super) service: &'static str,
    pub(super) alternatives: &'static [&'static [(&'static str, &'static str)]],
    pub(super) needs_instance_profile: bool,
}

pub(super) const NEW_COMPUTE: &[Compute] = &[
    Compute {
        method: Method::PassRoleEc2,
        service: "ec2.amazonaws.com",
        alternatives: &[&[("ec2:RunInstances", "arn:aws:ec2:{region}:{account}:instance/i-0monbanprobe")]],
        needs_instance_profile: true,
    },
    Compute {
        method: Method::PassRoleLambda,
        service: "lambda.amazonaws.com",
        alternatives: &[
            &[
                ("lambda:CreateFunction", "arn:aws:lambda:{region}:{account}:function:monban-probe"),
                ("lambda:InvokeFunction", "arn:aws:lambda:{region}:{account}:function:monban-probe"),
            ],
            &[
                ("lambda:CreateFunction", "arn:aws:lambda:{region}:{account}:function:monban-probe"),
                ("lambda:CreateEventSourceMapping", "*"),
            ],
        ],
        needs_instance_profile: false,
    },
    Compute {
        method: Method::PassRoleGlue,
        service: "glue.amazonaws.com",
        alternatives: &[
            &[("glue:CreateDevEndpoint", "arn:aws:glue:{region}:{account}:devEndpoint/monban-probe")],
            &[
                ("glue:CreateJob", "arn:aws:glue:{region}:{account}:job/monban-probe"),
                ("glue:StartJobRun", "arn:aws:glue:{region}:{account}:job/monban-probe"),
            ],
        ],
        needs_instance_profile: false,
    },
    Compute {
        method: Method::PassRoleCloudFormation,
        service: "cloudformation.amazonaws.com",
        alternatives: &[&[(
            "cloudformation:CreateStack",
            "arn:aws:cloudformation:{region}:{account}:stack/monban-probe/0",
        )]],
        needs_instance_profile: false,
    },
    Compute {
        method: Method::PassRoleCodeBuild,
        service: "codebuild.amazonaws.com",
        alternatives: &[&[
            ("codebuild:CreateProject", "arn:aws:codebuild:{region}:{account}:project/monban-probe"),
            ("codebuild:StartBuild", "arn:aws:codebuild:{region}:{account}:project/monban-probe"),
        ]],
        needs_instance_profile: false,
    },
    Compute {
        method: Method::PassRoleSageMaker,
        service: "sagemaker.amazonaws.com",
        alternatives: &[
            &[
                (
                    "sagemaker:CreateNotebookInstance",
                    "arn:aws:sagemaker:{region}:{account}:notebook-instance/monban-probe",
                ),
                (
                    "sagemaker:CreatePresignedNotebookInstanceUrl",
                    "arn:aws:sagemaker:{region}:{account}:notebook-instance/monban-probe",
                ),
            ],
            &[("sagemaker:CreateTrainingJob", "arn:aws:sagemaker:{region}:{account}:training-job/monban-probe")],
            &[("sagemaker:CreateProcessingJob", "arn:aws:sagemaker:{region}:{account}:processing-job/monban-probe")],
        ],
        needs_instance_profile: false,
    },
    Compute {
        method: Method::PassRoleEcs,
        service: "ecs-tasks.amazonaws.com",
        alternatives: &[
            &[
                ("ecs:RegisterTaskDefinition", "*"),
                ("ecs:RunTask", "arn:aws:ecs:{region}:{account}:task-definition/monban-probe:1"),
            ],
            &[
                ("ecs:RegisterTaskDefinition", "*"),
                ("ecs:StartTask", "arn:aws:ecs:{region}:{account}:task-definition/monban-probe:1"),
            ],
            &[
                ("ecs:RegisterTaskDefinition", "*"),
                ("ecs:CreateService", "arn:aws:ecs:{region}:{account}:service/default/monban-probe"),
            ],
        ],
        needs_instance_profile: false,
    },
    Compute {
        method: Method::PassRoleDataPipeline,
        service: "datapipeline.amazonaws.com",
        alternatives: &[&[
            ("datapipeline:CreatePipeline", "*"),
            ("datapipeline:PutPipelineDefinition", "arn:aws:datapipeline:{region}:{account}:pipeline/df-monbanprobe"),
            ("datapipeline:ActivatePipeline", "arn:aws:datapipeline:{region}:{account}:pipeline/df-monbanprobe"),
        ]],
        needs_instance_profile: false,
    },
];

pub(super) const EXISTING_COMPUTE: &[Compute] = &[
    Compute {
        method: Method::LambdaUpdateFunctionCode,
        service: "lambda.amazonaws.com",
        alternatives: &[&[("lambda:UpdateFunctionCode", "arn:aws:lambda:{region}:{account}:function:monban-existing")]],
        needs_instance_profile: false,
    },
    Compute {
        method: Method::GlueUpdateDevEndpoint,
        service: "glue.amazonaws.com",
        alternatives: &[&[("glue:UpdateDevEndpoint", "arn:aws:glue:{region}:{account}:devEndpoint/monban-existing")]],
        needs_instance_profile: false,
    },
    Compute {
        method: Method::SsmExistingInstance,
        service: "ec2.amazonaws.com",
        alternatives: &[
            &[("ssm:SendCommand", "arn:aws:ec2:{region}:{account}:instance/i-0monbanexisting")],
            &[("ssm:StartSession", "arn:aws:ec2:{region}:{account}:instance/i-0monbanexisting")],
        ],
        needs_instance_profile: true,
    },
    Compute {
        method: Method::CodeBuildStartBuild,
        service: "codebuild.amazonaws.com",
        alternatives: &[&[("codebuild:StartBuild", "arn:aws:codebuild:{region}:{account}:project/monban-existing")]],
        needs_instance_profile: false,
    },
    Compute {
        method: Method::CloudFormationUpdateStack,
        service: "cloudformation.amazonaws.com",
        alternatives: &[&[(
            "cloudformation:UpdateStack",
            "arn:aws:cloudformation:{region}:{account}:stack/monban-existing/0",
        )]],
        needs_instance_profile: false,
    },
];
