package awsauth

import _ "sigs.k8s.io/aws-iam-authenticator/pkg/mapper/configmap"
